#include "structure_json.h"

namespace genre {

using nlohmann::json;

json gvalue_to_json(const GValue* v) {
  switch (G_TYPE_FUNDAMENTAL(G_VALUE_TYPE(v))) {
    case G_TYPE_BOOLEAN: return bool(g_value_get_boolean(v));
    case G_TYPE_INT: return g_value_get_int(v);
    case G_TYPE_UINT: return g_value_get_uint(v);
    case G_TYPE_INT64: return g_value_get_int64(v);
    case G_TYPE_UINT64: return g_value_get_uint64(v);
    case G_TYPE_FLOAT: return double(g_value_get_float(v));
    case G_TYPE_DOUBLE: return g_value_get_double(v);
    case G_TYPE_STRING: {
      const char* s = g_value_get_string(v);
      return s ? json(s) : json(nullptr);
    }
    default: break;
  }
  const GType type = G_VALUE_TYPE(v);
  if (type == GST_TYPE_FRACTION)
    return json::array({gst_value_get_fraction_numerator(v), gst_value_get_fraction_denominator(v)});
  if (type == GST_TYPE_ARRAY || type == GST_TYPE_LIST) {
    const bool array = type == GST_TYPE_ARRAY;
    json a = json::array();
    const guint n = array ? gst_value_array_get_size(v) : gst_value_list_get_size(v);
    for (guint i = 0; i < n; ++i)
      a.push_back(gvalue_to_json(array ? gst_value_array_get_value(v, i) : gst_value_list_get_value(v, i)));
    return a;
  }
  gchar* s = gst_value_serialize(v);
  json out = s ? json(s) : json(nullptr);
  g_free(s);
  return out;
}

json structure_to_json(const GstStructure* s) {
  json j = json::object();
  const gint n = gst_structure_n_fields(s);
  for (gint i = 0; i < n; ++i) {
    const gchar* name = gst_structure_nth_field_name(s, i);
    j[name] = gvalue_to_json(gst_structure_get_value(s, name));
  }
  return j;
}

}  // namespace genre
