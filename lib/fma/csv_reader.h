// RFC 4180 CSV reader: quoted fields may hold commas, doubled quotes and line
// breaks (FMA's tracks.csv has titles and bios like that). Streams row by row
// so a 100k-row tracks.csv is never held as text twice.
#pragma once

#include <istream>
#include <string>
#include <vector>

namespace genre::fma {

class CsvReader {
 public:
  // `origin` names the input in error messages (usually the file path).
  CsvReader(std::istream& in, std::string origin);

  // Reads the next record into `fields`. Returns false at end of input.
  // Throws std::runtime_error naming origin and line on an unterminated quote,
  // a stray character after a closing quote or a NUL byte (quoted or not).
  bool next(std::vector<std::string>& fields);

  // 1-based line number where the last record returned by next() started.
  long record_line() const { return record_line_; }

 private:
  std::istream& in_;
  std::string origin_;
  long line_ = 1;
  long record_line_ = 0;
};

// Reads a whole file; throws naming the path when it cannot be opened.
std::vector<std::vector<std::string>> read_csv_file(const std::string& path);

// Parses text held in memory (a table compiled in); `origin` names it in errors.
std::vector<std::vector<std::string>> read_csv_text(const std::string& text, const std::string& origin);

// A field as RFC 4180 writes it: quoted (quotes doubled) only when it holds a
// comma, a quote or a line break.
std::string csv_quote(const std::string& field);

}  // namespace genre::fma
