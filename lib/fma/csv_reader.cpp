#include "fma/csv_reader.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace genre::fma {

CsvReader::CsvReader(std::istream& in, std::string origin) : in_(in), origin_(std::move(origin)) {}

bool CsvReader::next(std::vector<std::string>& fields) {
  fields.clear();
  std::streambuf* sb = in_.rdbuf();
  int c = sb->sgetc();
  if (c == std::char_traits<char>::eof()) return false;
  record_line_ = line_;
  std::string field;
  enum class State { FieldStart, Unquoted, Quoted, QuoteInQuoted } state = State::FieldStart;
  auto is_delimiter = [](char ch) { return ch == ',' || ch == '\n' || ch == '\r'; };
  // Ends the current field at a delimiter; true when it also ends the record
  // (a line break, CRLF taken as one).
  auto end_field = [&](char ch) {
    fields.push_back(std::move(field));
    field.clear();
    if (ch == ',') {
      state = State::FieldStart;
      return false;
    }
    if (ch == '\r' && sb->sgetc() == '\n') sb->sbumpc();
    ++line_;
    return true;
  };
  while (true) {
    c = sb->sbumpc();
    if (c == std::char_traits<char>::eof()) {
      if (state == State::Quoted)
        throw std::runtime_error(origin_ + ":" + std::to_string(record_line_) +
                                 ": unterminated quoted field at end of file");
      fields.push_back(std::move(field));
      return true;
    }
    const char ch = static_cast<char>(c);
    // A NUL is no text: a binary file, or a download cut and padded with zeros.
    if (ch == '\0')
      throw std::runtime_error(origin_ + ":" + std::to_string(line_) + ": a NUL byte (field " +
                               std::to_string(fields.size() + 1) + "): not a text CSV file");
    switch (state) {
      case State::FieldStart:
        if (ch == '"') {
          state = State::Quoted;
          break;
        }
        state = State::Unquoted;
        [[fallthrough]];
      case State::Unquoted:
        if (is_delimiter(ch)) {
          if (end_field(ch)) return true;
        } else {
          field.push_back(ch);
        }
        break;
      case State::Quoted:
        if (ch == '"') {
          state = State::QuoteInQuoted;
        } else {
          if (ch == '\n') ++line_;
          field.push_back(ch);
        }
        break;
      case State::QuoteInQuoted:
        if (ch == '"') {
          field.push_back('"');
          state = State::Quoted;
        } else if (is_delimiter(ch)) {
          if (end_field(ch)) return true;
        } else {
          throw std::runtime_error(origin_ + ":" + std::to_string(line_) +
                                   ": unexpected character after closing quote (field " +
                                   std::to_string(fields.size() + 1) + ")");
        }
        break;
    }
  }
}

namespace {

std::vector<std::vector<std::string>> read_all(std::istream& in, const std::string& origin) {
  CsvReader reader(in, origin);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  while (reader.next(row)) rows.push_back(row);
  return rows;
}

}  // namespace

std::vector<std::vector<std::string>> read_csv_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open for reading");
  return read_all(in, path);
}

std::vector<std::vector<std::string>> read_csv_text(const std::string& text, const std::string& origin) {
  std::istringstream in(text);
  return read_all(in, origin);
}

std::string csv_quote(const std::string& field) {
  if (field.find_first_of(",\"\n\r") == std::string::npos) return field;
  std::string q = "\"";
  for (char c : field) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

}  // namespace genre::fma
