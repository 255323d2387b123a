// The genre byte of an MP3's ID3v1 tag (the last byte of the file's last 128).
// write_genre updates it only when the file already has an ID3v1 tag, so
// that the two tags never disagree, and changes no other ID3v1 byte.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace genre::tags {

// ID3v1's number for `genre` (its 192 Winamp-extended names, as TagLib
// knows them), 255 ("none") for any other genre.
std::uint8_t id3v1_genre_number(const std::string& genre);

// The genre byte of the file open on `fd`; nullopt when it has no ID3v1 tag.
std::optional<std::uint8_t> read_id3v1_genre_byte(int fd, const std::string& path);
void write_id3v1_genre_byte(int fd, const std::string& path, std::uint8_t number);

}  // namespace genre::tags
