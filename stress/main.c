/*
 * main.c - the stress program's entry: options, the right binary, then the
 * stress run or the micro-benchmark.  See stress.h for the design and
 * ./stress --help for the options.
 */
#include "stress.h"

int main(int argc, char **argv)
{
	struct st_options o;
	st_parse_options(&o, argc, argv);
	st_ensure_variant(&o); /* may re-execute the sibling binary */
	st_ensure_bug(&o);
	if (o.micro != NULL)
		return st_micro(&o);
	return st_run_stress(&o);
}
