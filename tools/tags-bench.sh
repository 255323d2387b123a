#!/usr/bin/env bash
# Tagging files/s: genre-tags' verified write_genre against a plain TagLib save
# (tags-bench.cpp) on generated MP3, Ogg Vorbis, Opus, FLAC and M4A files.
# usage: tags-bench.sh BUILD_DIR [COPIES=10] [SECONDS=120]
set -euo pipefail
build=${1:?usage: tags-bench.sh BUILD_DIR [COPIES] [SECONDS]}
copies=${2:-10}
seconds=${3:-120}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tags-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
buffers=$((seconds * 44100 / 1024))
src="audiotestsrc num-buffers=$buffers wave=pink-noise ! audio/x-raw,channels=2,rate=44100 ! audioconvert"
tags='taginject tags="title=Bench,artist=Someone,album=An Album,genre=Jazz"'
gst-launch-1.0 -q $src ! $tags ! lamemp3enc ! id3v2mux ! filesink location="$tmp/song.mp3"
gst-launch-1.0 -q $src ! $tags ! vorbisenc ! oggmux ! filesink location="$tmp/song.ogg"
gst-launch-1.0 -q $src ! audioresample ! audio/x-raw,rate=48000 ! $tags ! opusenc ! oggmux ! filesink location="$tmp/song.opus"
gst-launch-1.0 -q $src ! $tags ! flacenc ! filesink location="$tmp/song.flac"
gst-launch-1.0 -q $src ! avenc_aac ! mp4mux ! filesink location="$tmp/song.m4a"
"$build/tools/tags-bench" "$copies" "$tmp"/song.*
