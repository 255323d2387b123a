// The GObject side of a parameter table (lib/params/parameter_table.h): an
// element installs its properties, implements get/set and builds its sticky
// params event from its table, so none of them spells a parameter again.
// Property ids are the table index + 1.
#pragma once

#include <gst/gst.h>

#include <nlohmann/json.hpp>

#include "params/parameter_table.h"

namespace genre {

// Flags of every table property: set before the element starts.
constexpr auto kTablePropertyFlags = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

GParamSpec* table_param_spec(const params::Declaration& d, const nlohmann::json& default_value);
nlohmann::json table_property_value(const params::Declaration& d, const GValue* value);
void set_table_gvalue(const params::Declaration& d, const nlohmann::json& v, GValue* value);
void set_record_field(GstStructure* s, const params::Declaration& d, const nlohmann::json& v);

template <class Settings, class InEffect>
void install_table_properties(GObjectClass* klass, const params::Table<Settings, InEffect>& table) {
  const Settings defaults{};
  const auto& ps = table.parameters();
  for (size_t i = 0; i < ps.size(); ++i)
    if (ps[i].property) g_object_class_install_property(klass, guint(i + 1), table_param_spec(ps[i], ps[i].get(defaults)));
}

// False for an id that is not a table property.
template <class Settings, class InEffect>
bool set_table_property(const params::Table<Settings, InEffect>& table, Settings& settings, guint id,
                        const GValue* value) {
  const auto& ps = table.parameters();
  if (id == 0 || id > ps.size() || !ps[id - 1].property) return false;
  ps[id - 1].set(settings, table_property_value(ps[id - 1], value));
  return true;
}

template <class Settings, class InEffect>
bool get_table_property(const params::Table<Settings, InEffect>& table, const Settings& settings, guint id,
                        GValue* value) {
  const auto& ps = table.parameters();
  if (id == 0 || id > ps.size() || !ps[id - 1].property) return false;
  set_table_gvalue(ps[id - 1], ps[id - 1].get(settings), value);
  return true;
}

// The sticky params event: the table's record of what the element runs with,
// as a structure with each field's declared type, in table order, so sinks
// (datasetsink) can record it and genreclassify check it.
template <class Settings, class InEffect>
GstEvent* table_params_event(const params::Table<Settings, InEffect>& table, const InEffect& in_effect) {
  const nlohmann::json record = table.record(in_effect);
  GstStructure* s = gst_structure_new_empty(table.record_name);
  for (const params::Declaration* d : table.declarations) set_record_field(s, *d, record[d->name]);
  return gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, s);
}

}  // namespace genre
