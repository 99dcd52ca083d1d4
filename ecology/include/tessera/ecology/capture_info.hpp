#pragma once
// When and at which trap a photograph was taken, so that counts can be given per night and trap.
// Three sources, tried in this order for each image: a metadata CSV, a file-name pattern, the
// photo's EXIF time. A night runs from noon to noon and is named by the date of its evening, so a
// photo at 03:00 on 2 July belongs to the night of 1 July.
//
//   FileNamePattern pattern("{trap}/IMG_{yyyy}{mm}{dd}_{HH}{MM}*");
//   CaptureInfo c = capture_info("photos", "trap_a/IMG_20240702_0300.jpg", {.pattern = &pattern});
//   night_of(*c.time);                   // "2024-07-01", c.trap == "trap_a"
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace tessera::ecology {

// Local time as the camera or the CSV recorded it; no time zone.
struct CaptureTime {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  friend bool operator==(const CaptureTime&, const CaptureTime&) = default;
};

struct CaptureInfo {
  std::string trap;                 // "" when unknown
  std::optional<CaptureTime> time;  // nullopt when unknown
};

// "YYYY-MM-DD" of the evening the night began: the capture date, or the day before when before
// noon.
std::string night_of(const CaptureTime& t);
// "2024-07-01T22:15:03"
std::string to_string(const CaptureTime& t);

// "2024-07-01T22:15:03", "2024-07-01 22:15:03", "2024-07-01 22:15", EXIF's
// "2024:07:01 22:15:03", or a date alone, whose time of day is unknown and set to 12:00 so that
// the date is the night; checks the date exists (leap years included) and the time is on a clock.
// Throws std::invalid_argument naming the text.
CaptureTime parse_capture_time(const std::string& text);

// EXIF DateTimeOriginal, else DateTimeDigitized, else DateTime. nullopt when the file has no EXIF
// or none of these tags; a blank or malformed tag (cameras write "0000:00:00 00:00:00" when their
// clock was never set) counts as absent. Throws std::runtime_error when the file does not exist.
std::optional<CaptureTime> exif_capture_time(const std::string& path);

// Trap and time from an image's path relative to the images folder, without its extension:
// "{trap}_{yyyy}{mm}{dd}_{HH}{MM}" or "{trap}/IMG_{yyyy}-{mm}-{dd}*". Placeholders {trap} (one
// path level at most, the shortest that fits), {yyyy}, {mm}, {dd}, {HH}, {MM}, {SS}; '*' matches
// anything; the rest is literal. The whole path must match. Without {HH} the time of day is
// unknown and set to 12:00, so the date is the night. Throws std::invalid_argument for an unknown
// or repeated placeholder, a time part without the full date ({MM} also needs {HH}, {SS} {MM}),
// or a pattern that gives neither trap nor date.
class FileNamePattern {
 public:
  explicit FileNamePattern(const std::string& pattern);
  // nullopt when the path does not match; std::invalid_argument when it matches but names a
  // date or time that does not exist.
  std::optional<CaptureInfo> match(const std::string& relative_path_without_extension) const;
  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  std::regex regex_;
  std::vector<std::string> groups_;  // placeholder of each capture group, in order
};

// Trap and time per image from a CSV with a header row; columns, case-insensitive: `file` (or
// `image`, `file_name`), optional `trap`, optional `time` (or `datetime`, `captured`), others
// ignored. Empty cells mean unknown. Throws std::runtime_error "<path>:<line>: ..." for a missing
// file, no file column, a malformed row, a bad time or a file named twice.
class CaptureTable {
 public:
  static CaptureTable read_csv(const std::string& path);
  // The row naming `relative_path` (as under the images folder, with extension); else the one
  // row whose path ends it or is ended by it ("IMG_1.jpg", "night1/north/IMG_1.jpg" for
  // "north/IMG_1.jpg"). Throws std::runtime_error when several rows could be the photo.
  std::optional<CaptureInfo> find(const std::string& relative_path) const;

 private:
  std::string path_;
  std::map<std::string, CaptureInfo> by_file_;               // as the CSV names it
  std::map<std::string, std::vector<std::string>> by_name_;  // base name -> files
};

struct CaptureSources {
  const CaptureTable* table = nullptr;
  const FileNamePattern* pattern = nullptr;
  bool exif = true;
};

// Everything known about one image: each of trap and time from the CSV row, else from the
// file-name pattern; the time else from the image's EXIF. Trap "" and time nullopt when unknown.
CaptureInfo capture_info(const std::string& images_root, const std::string& relative_path,
                         const CaptureSources& s);

}  // namespace tessera::ecology
