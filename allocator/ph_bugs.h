/*
 * ph_bugs.h - which injected fault, if any, this build carries.
 *
 * The faults themselves live in the code (#if PH_BUG_<MACRO> blocks);
 * this header only names the active one for banners and reports.
 */
#ifndef PH_BUGS_H
#define PH_BUGS_H

#define PH_BUG(macro, name, desc, history)
#include "ph_bugs.def"
#undef PH_BUG

/* The name of the fault compiled into this build, or "none". */
const char *ph_bug_active(void);

#endif
