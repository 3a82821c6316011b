/* json_doc.c - accessors of the constant JSON trees of json.h. */
#include "json.h"

#include <string.h>

const char *json_type_name(json_type t)
{
	switch (t) {
	case JSON_NULL: return "null";
	case JSON_FALSE: return "false";
	case JSON_TRUE: return "true";
	case JSON_NUMBER: return "number";
	case JSON_STRING: return "string";
	case JSON_ARRAY: return "array";
	case JSON_OBJECT: return "object";
	}
	return "?";
}

const json_value *json_get(const json_value *obj, const char *key)
{
	if (obj == NULL || obj->type != JSON_OBJECT)
		return NULL;
	size_t n = strlen(key);
	for (size_t i = 0; i < obj->u.obj.n; i++) {
		const json_member *m = &obj->u.obj.members[i];
		if (m->key_len == n && memcmp(m->key, key, n) == 0)
			return m->value;
	}
	return NULL;
}

size_t json_length(const json_value *v)
{
	if (v == NULL)
		return 0;
	if (v->type == JSON_ARRAY)
		return v->u.arr.n;
	if (v->type == JSON_OBJECT)
		return v->u.obj.n;
	return 0;
}

const json_value *json_at(const json_value *arr, size_t i)
{
	if (arr == NULL || arr->type != JSON_ARRAY || i >= arr->u.arr.n)
		return NULL;
	return arr->u.arr.items[i];
}

bool json_is_null(const json_value *v)
{
	return v != NULL && v->type == JSON_NULL;
}

bool json_as_u64(const json_value *v, uint64_t *out)
{
	if (v == NULL || v->type != JSON_NUMBER || !v->u.num.has_u64)
		return false;
	*out = v->u.num.u64;
	return true;
}

bool json_as_i64(const json_value *v, int64_t *out)
{
	if (v == NULL || v->type != JSON_NUMBER || !v->u.num.has_i64)
		return false;
	*out = v->u.num.i64;
	return true;
}

const char *json_as_string(const json_value *v)
{
	return v != NULL && v->type == JSON_STRING ? v->u.str.s : NULL;
}
