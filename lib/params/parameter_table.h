// Parameters declared once, as Essentia's Algorithm::declareParameter declares
// them: a name (the element's property, the field of its params structure and
// the JSON key, e.g. "n-fft"), a nick and a blurb, a type and range, a default
// (the settings struct's own initial value), the settings field it reads and
// writes, and whether it changes what a model is given. From one table per
// element the plugins install their GObject properties and build their sticky
// params structure, the manifests and bundles get their JSON, and lib/infer
// plans pipelines and checks preprocessing. Plain C++: the GObject glue lives
// in plugins/parameter_properties.h.
#pragma once

#include <functional>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace genre::params {

// Values travel as JSON: UInt/Int as integers, Double as numbers, Bool as
// booleans, Text as strings, Enum as the enum's integer in a property and as
// its nick in a record.
enum class Type { UInt, Int, Double, Bool, Enum, Text };

// What a parameter does to the input of a model trained behind the element.
enum class Effect {
  Content,   // changes the images: must match the bundle, and a pipeline plan copies it
  Span,      // the frames one image covers: compared as a span, chosen by the plan
  Delivery,  // how data is batched or how often a window starts: neither
};

struct Choice {
  int value;
  const char* nick;
  const char* description;
};

struct Enumeration {
  const char* type_name;  // of the registered enum type, e.g. "GstMelspecWindow"
  std::vector<Choice> choices;

  const char* nick(int value) const {
    for (const Choice& c : choices)
      if (c.value == value) return c.nick;
    return "?";
  }
};

constexpr double kIntMax = std::numeric_limits<int>::max();

struct Declaration {
  const char* name = "";
  const char* nick = "";
  const char* blurb = "";
  Type type = Type::UInt;  // of the property, and of the record unless record_type differs
  double minimum = 0, maximum = 0;           // UInt, Int, Double
  const Enumeration* enumeration = nullptr;  // Enum
  Effect effect = Effect::Content;
  bool named_first = false;  // others derive from it (sample-rate moves fmax): a mismatch names it first
  bool property = true;      // false: recorded, but derived by the element, not set
  Type record_type = Type::UInt;

  bool changes_model_input() const { return effect != Effect::Delivery; }
};

// What one element declares, without its settings types: enough for lib/infer.
struct TableDeclaration {
  const char* element = "";      // "melspec"
  const char* record_name = "";  // the params structure, "genre/melspec-params"
  std::vector<const Declaration*> declarations;

  const Declaration* find(const std::string& name) const {
    for (const Declaration* d : declarations)
      if (name == d->name) return d;
    return nullptr;
  }
};

// A declaration bound to `Settings` (what the properties set) and `InEffect`
// (what the element runs with once its input is known, which the record holds).
template <class Settings, class InEffect>
struct Parameter : Declaration {
  std::function<nlohmann::json(const Settings&)> get;  // empty when not a property
  std::function<void(Settings&, const nlohmann::json&)> set;
  std::function<nlohmann::json(const InEffect&)> record;

  Parameter& recorded_as(Type t) {
    record_type = t;
    return *this;
  }
  template <class Record>
  Parameter& recorded_by(Type t, Record r) {
    record_type = t;
    record = r;
    return *this;
  }
  Parameter& first() {
    named_first = true;
    return *this;
  }
  Parameter& with_effect(Effect e) {
    effect = e;
    return *this;
  }
};

// The kind of a declaration: its type with range or choices.
struct Kind {
  Type type;
  double minimum = 0, maximum = 0;
  const Enumeration* enumeration = nullptr;
};
inline Kind uint_range(double min, double max) { return {Type::UInt, min, max}; }
inline Kind double_range(double min, double max) { return {Type::Double, min, max}; }
inline Kind boolean() { return {Type::Bool}; }
inline Kind text() { return {Type::Text}; }
inline Kind choice(const Enumeration& e) { return {Type::Enum, 0, 0, &e}; }

namespace detail {

template <class T>
nlohmann::json property_json(const T& v) {
  if constexpr (std::is_enum_v<T>)
    return int(v);
  else
    return v;
}

template <class T>
void assign(T& field, const nlohmann::json& v) {
  if constexpr (std::is_enum_v<T>)
    field = T(v.get<int>());
  else
    field = v.get<T>();
}

}  // namespace detail

template <class Settings, class InEffect>
class Table : public TableDeclaration {
 public:
  using Param = Parameter<Settings, InEffect>;

  // A property stored in one field of Settings; `f` is a generic lambda
  // returning a reference to it, `[](auto& s) -> auto& { return s.config.n_fft; }`.
  // What it records is given with recorded_by.
  template <class Field>
  static Param property(const char* name, const char* nick, const char* blurb, Kind kind, Field f) {
    Param p;
    p.name = name;
    p.nick = nick;
    p.blurb = blurb;
    p.type = p.record_type = kind.type;
    p.minimum = kind.minimum;
    p.maximum = kind.maximum;
    p.enumeration = kind.enumeration;
    p.get = [f](const Settings& s) { return detail::property_json(f(s)); };
    p.set = [f](Settings& s, const nlohmann::json& v) { detail::assign(f(s), v); };
    return p;
  }

  // A property that records its own field: the same accessor serves the
  // property (on Settings) and the record (on InEffect, which has that field too).
  template <class Field>
  static Param field(const char* name, const char* nick, const char* blurb, Kind kind, Field f) {
    Param p = property(name, nick, blurb, kind, f);
    const Enumeration* e = kind.enumeration;
    p.record = [f, e](const InEffect& r) -> nlohmann::json {
      using T = std::decay_t<decltype(f(r))>;
      if constexpr (std::is_enum_v<T>)
        return e->nick(int(f(r)));
      else
        return detail::property_json(f(r));
    };
    return p;
  }

  // A value the element derives and records, with no property.
  template <class Record>
  static Param derived(const char* name, Type type, Record r) {
    Param p;
    p.name = name;
    p.type = p.record_type = type;
    p.property = false;
    p.record = r;
    return p;
  }

  Table(const char* element_name, const char* record, std::vector<Param> parameters)
      : parameters_(std::move(parameters)) {
    element = element_name;
    record_name = record;
    for (const Param& p : parameters_) declarations.push_back(&p);
  }
  Table(const Table&) = delete;  // declarations point into parameters_
  Table& operator=(const Table&) = delete;

  const std::vector<Param>& parameters() const { return parameters_; }

  // The params structure as JSON (what datasetsink puts in manifests, and bundles keep).
  nlohmann::json record(const InEffect& in_effect) const {
    nlohmann::json j = nlohmann::json::object();
    for (const Param& p : parameters_) j[p.name] = p.record(in_effect);
    return j;
  }

 private:
  std::vector<Param> parameters_;
};

}  // namespace genre::params
