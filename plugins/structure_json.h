// GstStructure fields as JSON, for the sticky genre/*-params events: the one
// conversion datasetsink (into samples and the manifest) and genreclassify
// (to compare with a bundle's preprocessing) share, so both see the same
// values. Numbers and strings map to JSON numbers and strings, fractions to
// [numerator, denominator], arrays and lists to JSON arrays (recursively),
// anything else to gst_value_serialize()'s text.
#pragma once

#include <gst/gst.h>

#include <nlohmann/json.hpp>

namespace genre {

nlohmann::json gvalue_to_json(const GValue* value);

// Field name -> gvalue_to_json(value), in field order.
nlohmann::json structure_to_json(const GstStructure* s);

}  // namespace genre
