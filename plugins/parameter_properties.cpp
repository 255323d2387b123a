#include "parameter_properties.h"

#include <mutex>
#include <string>

namespace genre {

using nlohmann::json;
using params::Type;

namespace {

// Registered once per enumeration; the values live as long as the type.
GType enum_type(const params::Enumeration& e) {
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  if (GType known = g_type_from_name(e.type_name)) return known;
  auto* values = new GEnumValue[e.choices.size() + 1];
  for (size_t i = 0; i < e.choices.size(); ++i)
    values[i] = {e.choices[i].value, e.choices[i].description, e.choices[i].nick};
  values[e.choices.size()] = {0, nullptr, nullptr};
  const GType type = g_enum_register_static(e.type_name, values);
  gst_type_mark_as_plugin_api(type, GstPluginAPIFlags(0));
  return type;
}

}  // namespace

GParamSpec* table_param_spec(const params::Declaration& d, const json& def) {
  const GParamFlags flags = kTablePropertyFlags;
  switch (d.type) {
    case Type::UInt:
      return g_param_spec_uint(d.name, d.nick, d.blurb, guint(d.minimum), guint(d.maximum), def.get<guint>(), flags);
    case Type::Int:
      return g_param_spec_int(d.name, d.nick, d.blurb, gint(d.minimum), gint(d.maximum), def.get<gint>(), flags);
    case Type::Double:
      return g_param_spec_double(d.name, d.nick, d.blurb, d.minimum, d.maximum, def.get<double>(), flags);
    case Type::Bool:
      return g_param_spec_boolean(d.name, d.nick, d.blurb, def.get<bool>(), flags);
    case Type::Enum:
      return g_param_spec_enum(d.name, d.nick, d.blurb, enum_type(*d.enumeration), def.get<int>(), flags);
    case Type::Text:
      return g_param_spec_string(d.name, d.nick, d.blurb, def.get<std::string>().c_str(), flags);
  }
  g_assert_not_reached();
  return nullptr;
}

json table_property_value(const params::Declaration& d, const GValue* v) {
  switch (d.type) {
    case Type::UInt: return g_value_get_uint(v);
    case Type::Int: return g_value_get_int(v);
    case Type::Double: return g_value_get_double(v);
    case Type::Bool: return bool(g_value_get_boolean(v));
    case Type::Enum: return g_value_get_enum(v);
    case Type::Text: {
      const char* s = g_value_get_string(v);
      return s ? s : "";
    }
  }
  g_assert_not_reached();
  return nullptr;
}

void set_table_gvalue(const params::Declaration& d, const json& j, GValue* v) {
  switch (d.type) {
    case Type::UInt: g_value_set_uint(v, j.get<guint>()); return;
    case Type::Int: g_value_set_int(v, j.get<gint>()); return;
    case Type::Double: g_value_set_double(v, j.get<double>()); return;
    case Type::Bool: g_value_set_boolean(v, j.get<bool>()); return;
    case Type::Enum: g_value_set_enum(v, j.get<int>()); return;
    case Type::Text: g_value_set_string(v, j.get<std::string>().c_str()); return;
  }
}

void set_record_field(GstStructure* s, const params::Declaration& d, const json& j) {
  switch (d.record_type) {
    case Type::UInt: gst_structure_set(s, d.name, G_TYPE_UINT, j.get<guint>(), nullptr); return;
    case Type::Int: gst_structure_set(s, d.name, G_TYPE_INT, j.get<gint>(), nullptr); return;
    case Type::Double: gst_structure_set(s, d.name, G_TYPE_DOUBLE, j.get<double>(), nullptr); return;
    case Type::Bool: gst_structure_set(s, d.name, G_TYPE_BOOLEAN, gboolean(j.get<bool>()), nullptr); return;
    case Type::Enum:
    case Type::Text: gst_structure_set(s, d.name, G_TYPE_STRING, j.get<std::string>().c_str(), nullptr); return;
  }
}

}  // namespace genre
