#include "supervisor/viewer_channel.hpp"

#include <doctest/doctest.h>

using namespace es;

TEST_CASE("viewer channel: each request the viewer forwards reads back as the same stop; a "
          "closing window reads as the viewer closed") {
  for (const auto signal : {StopSignal::kInterrupt, StopSignal::kTerminate}) {
    CHECK(channel_signal(channel_byte(signal)) == signal);
  }
  for (const auto closing :
       {StopSignal::kHangup, StopSignal::kConsoleClose, StopSignal::kViewerClosed}) {
    CHECK(channel_signal(channel_byte(closing)) == StopSignal::kViewerClosed);
  }
  CHECK_FALSE(channel_signal('\n').has_value());
  CHECK_FALSE(channel_signal('x').has_value());
}
