#include "tags/tagged_file.h"

#include <taglib/apetag.h>
#include <taglib/flacfile.h>
#include <taglib/flacpicture.h>
#include <taglib/id3v1tag.h>
#include <taglib/id3v2frame.h>
#include <taglib/id3v2header.h>
#include <taglib/id3v2tag.h>
#include <taglib/mp4file.h>
#include <taglib/mp4properties.h>
#include <taglib/mp4tag.h>
#include <taglib/mpegfile.h>
#include <taglib/opusfile.h>
#include <taglib/tfilestream.h>
#include <taglib/tpropertymap.h>
#include <taglib/vorbisfile.h>
#include <taglib/xiphcomment.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <initializer_list>

#include "tags/tag_error.h"
#include "tags/unique_fd.h"

namespace genre::tags {
namespace {

const TagLib::String kMp4Genre("\251gen", TagLib::String::Latin1);

std::string utf8(const TagLib::String& s) { return s.to8Bit(true); }
TagLib::String from_utf8(const std::string& s) { return TagLib::String(s, TagLib::String::UTF8); }

// Length-prefixed, so that no two different tag sets give the same bytes.
void put(std::string& out, const std::string& bytes) {
  const std::uint64_t n = bytes.size();
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  out += bytes;
}
void put(std::string& out, const TagLib::ByteVector& bytes) { put(out, std::string(bytes.data(), bytes.size())); }
void put(std::string& out, const char* text) { put(out, std::string(text)); }

std::vector<std::string> to_strings(const TagLib::StringList& list) {
  std::vector<std::string> out;
  for (const auto& s : list) out.push_back(utf8(s));
  return out;
}

// Frames compare by ID and body: the 10-byte frame header carries sizes and
// flags that rendering recomputes.
void put_id3v2(std::string& out, const TagLib::ID3v2::Tag& tag) {
  std::vector<std::string> frames;
  for (const TagLib::ID3v2::Frame* frame : tag.frameList()) {
    if (frame->frameID() == "TCON") continue;
    const TagLib::ByteVector rendered = frame->render();
    const TagLib::ByteVector body = rendered.mid(std::min<unsigned>(10, rendered.size()));
    frames.push_back(std::string(frame->frameID().data(), frame->frameID().size()) + ':' +
                     std::string(body.data(), body.size()));
  }
  std::sort(frames.begin(), frames.end());  // downgrading to v2.3 may reorder frames
  put(out, "id3v2");
  for (const auto& f : frames) put(out, f);
}

void put_id3v1(std::string& out, const TagLib::ID3v1::Tag& tag) {
  put(out, "id3v1");
  for (const auto& s : {tag.title(), tag.artist(), tag.album(), tag.comment()}) put(out, utf8(s));
  put(out, std::to_string(tag.year()) + "/" + std::to_string(tag.track()));
}

void put_xiph(std::string& out, TagLib::Ogg::XiphComment& comment) {
  put(out, "xiph");
  put(out, utf8(comment.vendorID()));
  for (const auto& field : comment.fieldListMap()) {
    if (field.first == "GENRE") continue;
    put(out, utf8(field.first));
    for (const auto& value : field.second) put(out, utf8(value));
  }
  for (TagLib::FLAC::Picture* picture : comment.pictureList()) put(out, picture->render());
}

// An item's value lives in the accessor its key implies: MP4::Item keeps its
// numbers in one union, so the other numeric accessors return stale bytes.
std::string mp4_number(const std::string& key, const TagLib::MP4::Item& item) {
  const auto is = [&](std::initializer_list<const char*> keys) {
    for (const char* k : keys)
      if (key == k) return true;
    return false;
  };
  if (is({"trkn", "disk"}))
    return std::to_string(item.toIntPair().first) + "/" + std::to_string(item.toIntPair().second);
  if (is({"cpil", "pgap", "pcst", "hdvd", "shwm"})) return item.toBool() ? "true" : "false";
  if (is({"rtng", "stik", "akID"})) return std::to_string(item.toByte());
  if (is({"tmpo", "\251mvi", "\251mvc"})) return std::to_string(item.toInt());
  if (is({"tvsn", "tves", "cnID", "sfID", "atID", "geID", "cmID"})) return std::to_string(item.toUInt());
  if (is({"plID"})) return std::to_string(item.toLongLong());
  return "";
}

void put_ape(std::string& out, const TagLib::APE::Tag& tag) {
  put(out, "ape");
  for (const auto& entry : tag.itemListMap()) {
    if (entry.first.upper() == "GENRE") continue;
    put(out, utf8(entry.first));
    put(out, entry.second.render());
  }
}

void put_mp4(std::string& out, const TagLib::MP4::Tag& tag) {
  put(out, "mp4");
  for (const auto& entry : tag.itemMap()) {
    if (entry.first == kMp4Genre || entry.first == "gnre") continue;
    const TagLib::MP4::Item& item = entry.second;
    const std::string key = entry.first.to8Bit(false);  // Latin-1 atom names, '\251' kept as one byte
    put(out, key);
    put(out, std::to_string(static_cast<int>(item.atomDataType())));
    for (const auto& s : item.toStringList()) put(out, utf8(s));
    for (const auto& b : item.toByteVectorList()) put(out, b);
    for (const auto& art : item.toCoverArtList()) {
      put(out, std::to_string(static_cast<int>(art.format())));
      put(out, art.data());
    }
    put(out, mp4_number(key, item));
  }
}

}  // namespace

TaggedFile::TaggedFile(std::string path, AudioFormat format, std::unique_ptr<TagLib::FileStream> stream)
    : path_(std::move(path)), format_(format), stream_(std::move(stream)) {
  TagLib::IOStream* io = stream_.get();
  auto* frames = TagLib::ID3v2::FrameFactory::instance();
  switch (format_) {
    case AudioFormat::kMp3: file_ = std::make_unique<TagLib::MPEG::File>(io, frames, true); break;
    case AudioFormat::kFlac: file_ = std::make_unique<TagLib::FLAC::File>(io, frames, true); break;
    case AudioFormat::kOggVorbis: file_ = std::make_unique<TagLib::Ogg::Vorbis::File>(io, true); break;
    case AudioFormat::kOggOpus: file_ = std::make_unique<TagLib::Ogg::Opus::File>(io, true); break;
    case AudioFormat::kMp4: file_ = std::make_unique<TagLib::MP4::File>(io, true); break;
  }
  if (!file_ || !file_->isValid())
    throw file_error(path_, "TagLib cannot read it as " + format_name(format_) + " (damaged file?)");
  if (format_ == AudioFormat::kMp4) {
    const auto* props = static_cast<TagLib::MP4::File*>(file_.get())->audioProperties();
    if (!props || props->codec() == TagLib::MP4::Properties::Unknown)
      throw file_error(path_, "is an MP4 file without an AAC or ALAC audio track");
  }
  if (format_ == AudioFormat::kMp3) {
    auto* mpeg = static_cast<TagLib::MPEG::File*>(file_.get());
    if (mpeg->hasID3v2Tag()) id3v2_version_on_open_ = static_cast<int>(mpeg->ID3v2Tag()->header()->majorVersion());
  }
}

TaggedFile::TaggedFile(TaggedFile&&) noexcept = default;
TaggedFile& TaggedFile::operator=(TaggedFile&&) noexcept = default;
TaggedFile::~TaggedFile() = default;

TaggedFile TaggedFile::open_read_only(const std::string& path, AudioFormat format) {
  auto stream = std::make_unique<TagLib::FileStream>(path.c_str(), true);
  if (!stream->isOpen()) throw file_error(path, "TagLib cannot open it");
  return TaggedFile(path, format, std::move(stream));
}

TaggedFile TaggedFile::open_for_edit(int fd, const std::string& path, AudioFormat format) {
  UniqueFd copy(::dup(fd));
  if (copy.get() < 0) {
    const int err = errno;
    throw file_error(path, "cannot duplicate a descriptor: " + errno_text(err), err);
  }
  auto stream = std::make_unique<TagLib::FileStream>(copy.get(), false);
  if (!stream->isOpen() || stream->readOnly()) throw file_error(path, "TagLib cannot open it for writing");
  copy.release();  // the stream's FILE owns it now
  return TaggedFile(path, format, std::move(stream));
}

std::vector<std::string> TaggedFile::genres() {
  switch (format_) {
    case AudioFormat::kMp3: {
      auto* mpeg = static_cast<TagLib::MPEG::File*>(file_.get());
      if (mpeg->hasID3v2Tag()) {
        const auto list = mpeg->ID3v2Tag()->properties()["GENRE"];
        if (!list.isEmpty()) return to_strings(list);
      }
      if (mpeg->hasID3v1Tag() && !mpeg->ID3v1Tag()->genre().isEmpty()) return {utf8(mpeg->ID3v1Tag()->genre())};
      return {};
    }
    case AudioFormat::kFlac: {
      auto* flac = static_cast<TagLib::FLAC::File*>(file_.get());
      if (flac->hasXiphComment()) return to_strings(flac->xiphComment()->properties()["GENRE"]);
      return to_strings(file_->properties()["GENRE"]);
    }
    case AudioFormat::kOggVorbis:
    case AudioFormat::kOggOpus:
    case AudioFormat::kMp4:
      return to_strings(file_->properties()["GENRE"]);
  }
  return {};
}

std::vector<std::string> TaggedFile::ape_genres() {
  if (format_ != AudioFormat::kMp3) return {};
  auto* mpeg = static_cast<TagLib::MPEG::File*>(file_.get());
  if (!mpeg->hasAPETag()) return {};
  return to_strings(mpeg->APETag()->properties()["GENRE"]);
}

void TaggedFile::write_ape_genre(const std::string& genre) {
  auto* mpeg = format_ == AudioFormat::kMp3 ? static_cast<TagLib::MPEG::File*>(file_.get()) : nullptr;
  if (!mpeg || !mpeg->hasAPETag()) throw file_error(path_, "internal error: no APE tag to write a genre into");
  // The item keeps the key's spelling it had ("Genre", "GENRE"): APE keys compare case-blind.
  TagLib::String key("GENRE");
  for (const auto& item : mpeg->APETag()->itemListMap())
    if (item.first.upper() == key) key = item.second.key();
  mpeg->APETag()->addValue(key, from_utf8(genre), true);
  if (!mpeg->save(TagLib::MPEG::File::APE, TagLib::File::StripNone, TagLib::ID3v2::v4, TagLib::File::DoNotDuplicate))
    throw file_error(path_, "TagLib could not save the APE tag");
}

void TaggedFile::set_genre(const std::string& genre) {
  const TagLib::String value = from_utf8(genre);
  switch (format_) {
    case AudioFormat::kMp3:
      throw file_error(path_, "internal error: MP3 genres are written by rewrite_id3v2_genre");
    case AudioFormat::kFlac:
      static_cast<TagLib::FLAC::File*>(file_.get())->xiphComment(true)->addField("GENRE", value, true);
      break;
    case AudioFormat::kOggVorbis:
      static_cast<TagLib::Ogg::Vorbis::File*>(file_.get())->tag()->addField("GENRE", value, true);
      break;
    case AudioFormat::kOggOpus:
      static_cast<TagLib::Ogg::Opus::File*>(file_.get())->tag()->addField("GENRE", value, true);
      break;
    case AudioFormat::kMp4: {
      TagLib::MP4::Tag* tag = static_cast<TagLib::MP4::File*>(file_.get())->tag();
      tag->removeItem("gnre");  // the numeric ID3v1-style genre, superseded
      tag->setItem(kMp4Genre, TagLib::MP4::Item(TagLib::StringList(value)));
      break;
    }
  }
}

std::string TaggedFile::other_tags_snapshot() {
  std::string out;
  switch (format_) {
    case AudioFormat::kMp3: {
      // ID3v2Tag(true): a file without one compares as an empty one, which
      // is what it gains besides the genre. ID3v1 is compared byte for byte
      // (audio_bytes.h).
      auto* mpeg = static_cast<TagLib::MPEG::File*>(file_.get());
      put_id3v2(out, *mpeg->ID3v2Tag(true));
      if (mpeg->hasAPETag()) put_ape(out, *mpeg->APETag());
      break;
    }
    case AudioFormat::kFlac: {
      auto* flac = static_cast<TagLib::FLAC::File*>(file_.get());
      put_xiph(out, *flac->xiphComment(true));  // as for ID3v2 above
      for (TagLib::FLAC::Picture* picture : flac->pictureList()) put(out, picture->render());
      if (flac->hasID3v2Tag()) put_id3v2(out, *flac->ID3v2Tag());
      if (flac->hasID3v1Tag()) put_id3v1(out, *flac->ID3v1Tag());
      break;
    }
    case AudioFormat::kOggVorbis:
      put_xiph(out, *static_cast<TagLib::Ogg::Vorbis::File*>(file_.get())->tag());
      break;
    case AudioFormat::kOggOpus:
      put_xiph(out, *static_cast<TagLib::Ogg::Opus::File*>(file_.get())->tag());
      break;
    case AudioFormat::kMp4:
      put_mp4(out, *static_cast<TagLib::MP4::File*>(file_.get())->tag());
      break;
  }
  return out;
}

int TaggedFile::id3v2_version() const { return id3v2_version_on_open_; }

bool TaggedFile::has_id3v1() const {
  return format_ == AudioFormat::kMp3 && static_cast<TagLib::MPEG::File*>(file_.get())->hasID3v1Tag();
}

std::string TaggedFile::genre_field() const {
  switch (format_) {
    case AudioFormat::kMp3: {
      const int version = id3v2_version_on_open_ == 0 ? 4 : id3v2_version_on_open_;
      return "ID3v2." + std::to_string(version) + (version == 2 ? " TCO" : " TCON");
    }
    case AudioFormat::kFlac:
    case AudioFormat::kOggVorbis:
    case AudioFormat::kOggOpus: return "Vorbis comment GENRE";
    case AudioFormat::kMp4: return "MP4 \xc2\xa9gen";
  }
  return "";
}

void TaggedFile::save() {
  if (!file_->save()) throw file_error(path_, "TagLib could not save the " + genre_field() + " tag");
}

}  // namespace genre::tags
