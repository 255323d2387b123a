// gtest main for tests that touch GStreamer: gst_init before any test runs.
#include <gst/gst.h>
#include <gtest/gtest.h>

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  int rc = RUN_ALL_TESTS();
  gst_deinit();
  return rc;
}
