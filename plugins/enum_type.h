// Registers a GEnum type for an enum property once, thread-safely:
//   GENRE_DEFINE_ENUM_TYPE(my_mode_get_type, "GstMyMode",
//       {int(Mode::A), "Description of A", "a"}, {int(Mode::B), "...", "b"})
#pragma once

#include <glib-object.h>

#define GENRE_DEFINE_ENUM_TYPE(func, name, ...)                                \
  static GType func(void) {                                                    \
    static GType type = 0;                                                     \
    static const GEnumValue values[] = {__VA_ARGS__, {0, nullptr, nullptr}};   \
    if (g_once_init_enter(&type)) g_once_init_leave(&type, g_enum_register_static(name, values)); \
    return type;                                                               \
  }
