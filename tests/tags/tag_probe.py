#!/usr/bin/python3
"""Second reader for the tags tests: mutagen, independent of TagLib.

  tag_probe.py dump FILE              JSON: format, genres, title/artist/album/comment,
                                      pictures (sha256), every other tag (sha256 of
                                      its repr), ID3 versions and ID3v1 bytes, and the
                                      sha256 of the audio frames/packets
  tag_probe.py decorate FILE IMAGE    adds a picture and a ReplayGain tag (and, for
                                      MP4, the base tags GStreamer's mp4mux cannot
                                      write where mutagen/TagLib read them)
  tag_probe.py id3v23 FILE            rewrites the ID3v2 tag as v2.3 with an ID3v1 tag
  tag_probe.py ape FILE KEY=VALUE...  adds an APEv2 tag (before any ID3v1 tag) with these items
"""
import base64
import hashlib
import json
import struct
import sys

import mutagen
from mutagen.apev2 import APEv2, APENoHeaderError
from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, ID3, TDRC, TRCK, TXXX
from mutagen.mp4 import MP4, MP4Cover, Atoms
from mutagen.ogg import OggPage

GENRE_KEYS = {"TCON", "GENRE", "\xa9gen", "gnre"}
BASE = {"title": ("TIT2", "TITLE", "\xa9nam"), "artist": ("TPE1", "ARTIST", "\xa9ART"),
        "album": ("TALB", "ALBUM", "\xa9alb"), "comment": ("COMM", "COMMENT", "\xa9cmt")}


def sha(data):
    return hashlib.sha256(data).hexdigest()


def id3_end(data):
    if data[:3] != b"ID3":
        return 0
    size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]
    return 10 + size + (10 if data[3] == 4 and data[5] & 0x10 else 0)


def ape_size(data, end):
    footer = data[end - 32:end]
    if footer[:8] != b"APETAGEX":
        return 0
    size, flags = struct.unpack("<I", footer[12:16])[0], struct.unpack("<I", footer[20:24])[0]
    return size + (32 if flags & 0x80000000 else 0)


def has_id3v1(data):
    # An APE tag's header can end 128 bytes before the end: "APE[TAG]EX".
    return data[-128:-125] == b"TAG" and data[-131:-123] != b"APETAGEX"


def mp3_audio(data):
    end = len(data) - 128 if has_id3v1(data) else len(data)
    return data[id3_end(data):end - ape_size(data, end)]


def ape_items(path):
    try:
        return {k: str(v) for k, v in APEv2(path).items()}
    except APENoHeaderError:
        return None


def flac_audio(data):
    pos = id3_end(data) + 4
    while True:
        header = data[pos]
        pos += 4 + int.from_bytes(data[pos + 1:pos + 4], "big")
        if header & 0x80:
            return data[pos:]


def ogg_audio(path, header_packets):
    with open(path, "rb") as f:
        pages = []
        while True:
            try:
                pages.append(OggPage(f))
            except EOFError:
                break
    packets = OggPage.to_packets(pages)
    out = hashlib.sha256()
    for p in packets[header_packets:]:
        out.update(struct.pack("<Q", len(p)) + p)
    granules = [(p.position) for p in pages if p.position not in (0, -1)]
    out.update(json.dumps(granules).encode())
    return out.hexdigest()


def mp4_audio(path):
    out = hashlib.sha256()
    with open(path, "rb") as f:
        for atom in Atoms(f).atoms:
            if atom.name == b"mdat":
                f.seek(atom.offset)
                out.update(f.read(atom.length))
    return out.hexdigest()


def text_of(value):
    if hasattr(value, "text"):
        return [str(t) for t in value.text]
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def dump(path):
    f = mutagen.File(path)
    data = open(path, "rb").read()
    kind = type(f).__name__
    out = {"format": kind, "genres": [], "pictures": [], "other_tags": {}}
    tags = f.tags
    if kind == "MP3":
        out["audio_sha256"] = sha(mp3_audio(data))
        out["id3_version"] = "2.%d" % tags.version[1] if tags is not None else None
        v1 = data[-128:] if has_id3v1(data) else None
        out["id3v1"] = None if v1 is None else {"genre_byte": v1[127], "other_bytes_sha256": sha(v1[:127])}
        out["ape"] = ape_items(path)
        items = [] if tags is None else [(frame.HashKey, frame) for frame in tags.values()]
        for key, frame in items:
            if frame.FrameID == "APIC":
                out["pictures"].append({"type": int(frame.type), "mime": frame.mime, "sha256": sha(frame.data)})
            if frame.FrameID == "TCON":
                out["genres"] += frame.genres
        named = {frame.FrameID: frame for _, frame in items}
    elif kind in ("FLAC", "OggVorbis", "OggOpus"):
        if kind == "FLAC":
            out["audio_sha256"] = sha(flac_audio(data))
            pictures = f.pictures
        else:
            out["audio_sha256"] = ogg_audio(path, 3 if kind == "OggVorbis" else 2)
            pictures = [Picture(base64.b64decode(b)) for b in tags.get("METADATA_BLOCK_PICTURE", [])]
        for p in pictures:
            out["pictures"].append({"type": int(p.type), "mime": p.mime, "sha256": sha(p.data)})
        items = [] if tags is None else [(k.upper(), v) for k, v in tags.items()]
        out["genres"] = [v for k, vs in items if k == "GENRE" for v in vs]
        named = {k: v for k, v in items}
    elif kind == "MP4":
        out["audio_sha256"] = mp4_audio(path)
        items = [] if tags is None else list(tags.items())
        for cover in (tags or {}).get("covr", []):
            out["pictures"].append({"type": 3, "mime": "image/png" if cover.imageformat == MP4Cover.FORMAT_PNG
                                    else "image/jpeg", "sha256": sha(bytes(cover))})
        out["genres"] = list((tags or {}).get("\xa9gen", []))
        named = dict(items)
    else:
        raise SystemExit("unsupported file for the probe: " + kind)
    for key, value in items:
        if key in GENRE_KEYS or key.split(":")[0] in GENRE_KEYS:
            continue
        out["other_tags"][key] = sha(repr(value).encode())
    for name, keys in BASE.items():
        found = [named[k] for k in keys if k in named]
        out[name] = text_of(found[0])[0] if found else None
    return out


def png_bytes(path):
    return open(path, "rb").read()


def decorate(path, image_path):
    image = png_bytes(image_path)
    f = mutagen.File(path)
    kind = type(f).__name__
    if kind == "MP3":
        if f.tags is None:
            f.add_tags()
        f.tags.add(APIC(encoding=3, mime="image/png", type=3, desc="Cover", data=image))
        f.tags.add(TXXX(encoding=3, desc="REPLAYGAIN_TRACK_GAIN", text=["-6.50 dB"]))
        f.save()
    elif kind == "FLAC":
        p = Picture()
        p.type, p.mime, p.desc, p.data = 3, "image/png", "Cover", image
        f.add_picture(p)
        f["REPLAYGAIN_TRACK_GAIN"] = "-6.50 dB"
        f.save()
    elif kind in ("OggVorbis", "OggOpus"):
        p = Picture()
        p.type, p.mime, p.desc, p.data = 3, "image/png", "Cover", image
        f["METADATA_BLOCK_PICTURE"] = [base64.b64encode(p.write()).decode("ascii")]
        f["REPLAYGAIN_TRACK_GAIN"] = "-6.50 dB"
        f.save()
    elif kind == "MP4":
        if f.tags is None:
            f.add_tags()
        f.tags["\xa9nam"], f.tags["\xa9ART"], f.tags["\xa9alb"] = "My Title", "Some Artist", "An Album"
        f.tags["\xa9cmt"], f.tags["\xa9gen"] = "A comment", "Jazz"
        f.tags["covr"] = [MP4Cover(image, imageformat=MP4Cover.FORMAT_PNG)]
        f.tags["----:com.apple.iTunes:replaygain_track_gain"] = [b"-6.50 dB"]
        f.save()
    else:
        raise SystemExit("cannot decorate " + kind)


def ape(path, items):
    # mutagen appends the APE tag; the usual place (TagLib's, foobar2000's) is before ID3v1.
    data = open(path, "rb").read()
    v1 = data[-128:] if has_id3v1(data) else b""
    with open(path, "wb") as f:
        f.write(data[:len(data) - len(v1)])
    tags = APEv2()
    for item in items:
        key, value = item.split("=", 1)
        tags[key] = value
    tags.save(path)
    with open(path, "ab") as f:
        f.write(v1)


def id3v23(path):
    # A full date: v2.3 keeps it in TYER + TDAT, which TagLib must write back.
    tags = ID3(path)
    tags.add(TDRC(encoding=3, text=["2021-05-17"]))
    tags.add(TRCK(encoding=3, text=["3/12"]))
    tags.save(path, v2_version=3, v1=2)


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "dump":
        print(json.dumps(dump(sys.argv[2]), sort_keys=True))
    elif command == "decorate":
        decorate(sys.argv[2], sys.argv[3])
    elif command == "id3v23":
        id3v23(sys.argv[2])
    elif command == "ape":
        ape(sys.argv[2], sys.argv[3:])
    else:
        raise SystemExit("unknown command " + command)
