#!/usr/bin/env bash
# The command-line tools a user runs: gst-inspect-1.0 documents every melspec
# property with its default, gst-launch-1.0 decodes a real Ogg file through
# melspec, and a bad property stops gst-launch-1.0 with an error naming it.
set -euo pipefail
fail() { echo "FAIL: $*"; exit 1; }

inspect=$(gst-inspect-1.0 melspec) || fail "gst-inspect-1.0 melspec failed"
for prop in n-fft hop-length win-length window center pad-mode power n-mels fmin fmax htk norm \
            output ref amin frames-per-buffer sample-rate; do
  block=$(printf '%s\n' "$inspect" | grep -A3 "^  $prop  *:") || fail "gst-inspect shows no '$prop'"
  printf '%s\n' "$block" | grep -q "Default:" || fail "'$prop' shows no default"
done
echo "gst-inspect-1.0 melspec: every property documented with a default"

if ! out=$(gst-launch-1.0 audiotestsrc num-buffers=5 ! audioconvert ! melspec hop-length=0 ! fakesink 2>&1); then
  printf '%s\n' "$out" | grep -q "hop-length" || fail "error does not name hop-length: $out"
  echo "gst-launch-1.0 with hop-length=0: fails, naming the property"
else
  fail "hop-length=0 was accepted"
fi

ogg="${GENRE_SHARED_DATA:-}/audio/Hungarian_Dance_number_5_-_Allegro_in_F_sharp_minor_(string_orchestra).ogg"
if [ ! -f "$ogg" ]; then
  echo "SKIP: ../shared/data is absent: the gst-launch-1.0 decode test needs its Ogg files"
  exit 77
fi
# -v prints the buffers fakesink receives; the last one's offset_end is the
# frame count, 1 + samples // 512 for ~46 s at 22050 Hz.
out=$(gst-launch-1.0 -v filesrc location="$ogg" ! decodebin ! audioconvert ! audioresample ! \
      melspec sample-rate=22050 ! fakesink silent=false 2>&1) || fail "gst-launch-1.0 failed: $out"
frames=$(printf '%s\n' "$out" | grep -o 'offset_end: [0-9]*' | tail -n 1 | grep -o '[0-9]*$')
[ -n "$frames" ] || fail "no buffers reached fakesink"
[ "$frames" -gt 1900 ] && [ "$frames" -lt 2100 ] || fail "unexpected frame count $frames"
echo "gst-launch-1.0 decodebin ! audioconvert ! audioresample ! melspec: $frames frames"
