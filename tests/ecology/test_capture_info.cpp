// Capture times and traps: nights from noon to noon, time parsing, file-name patterns, the
// metadata CSV, EXIF times in real JPEG files, and which source wins.
#include <gtest/gtest.h>

#include <libexif/exif-data.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "error_of.hpp"
#include "temp_dir.hpp"
#include "tessera/ecology/capture_info.hpp"

namespace tessera::ecology {
namespace {

using tessera::testing::error_of;
using tessera::testing::TempDirTest;

CaptureTime at(int y, int mo, int d, int h, int mi = 0, int s = 0) {
  return {.year = y, .month = mo, .day = d, .hour = h, .minute = mi, .second = s};
}

TEST(Night, NoonToNoon) {
  EXPECT_EQ(night_of(at(2024, 7, 2, 3)), "2024-07-01");
  EXPECT_EQ(night_of(at(2024, 7, 1, 22)), "2024-07-01");
  EXPECT_EQ(night_of(at(2024, 7, 2, 11, 59, 59)), "2024-07-01");
  EXPECT_EQ(night_of(at(2024, 7, 2, 12)), "2024-07-02");
  EXPECT_EQ(night_of(at(2024, 7, 2, 23, 59)), "2024-07-02");
  EXPECT_EQ(night_of(at(2024, 7, 2, 0)), "2024-07-01");
}

TEST(Night, MonthAndYearBoundaries) {
  EXPECT_EQ(night_of(at(2024, 8, 1, 0)), "2024-07-31");
  EXPECT_EQ(night_of(at(2024, 5, 1, 11, 59)), "2024-04-30");
  EXPECT_EQ(night_of(at(2025, 1, 1, 2)), "2024-12-31");
  EXPECT_EQ(night_of(at(2024, 12, 31, 23)), "2024-12-31");
  EXPECT_EQ(night_of(at(2025, 1, 1, 12)), "2025-01-01");
}

TEST(Night, FebruaryInLeapAndCommonYears) {
  EXPECT_EQ(night_of(at(2024, 3, 1, 1)), "2024-02-29");
  EXPECT_EQ(night_of(at(2023, 3, 1, 1)), "2023-02-28");
  EXPECT_EQ(night_of(at(2000, 3, 1, 1)), "2000-02-29");  // divisible by 400: leap
  EXPECT_EQ(night_of(at(1900, 3, 1, 1)), "1900-02-28");  // divisible by 100: not
  EXPECT_EQ(night_of(at(2024, 2, 29, 12)), "2024-02-29");
}

TEST(CaptureTime, ParsesEveryForm) {
  EXPECT_EQ(parse_capture_time("2024-07-01T22:15:03"), at(2024, 7, 1, 22, 15, 3));
  EXPECT_EQ(parse_capture_time("2024-07-01 22:15:03"), at(2024, 7, 1, 22, 15, 3));
  EXPECT_EQ(parse_capture_time("2024-07-01 22:15"), at(2024, 7, 1, 22, 15, 0));
  EXPECT_EQ(parse_capture_time("2024:07:01 22:15:03"), at(2024, 7, 1, 22, 15, 3));
  EXPECT_EQ(parse_capture_time("2024-07-01"), at(2024, 7, 1, 12));  // date alone: the night
  EXPECT_EQ(to_string(at(2024, 7, 1, 22, 15, 3)), "2024-07-01T22:15:03");
  EXPECT_EQ(parse_capture_time(to_string(at(2024, 2, 29, 0, 0, 59))), at(2024, 2, 29, 0, 0, 59));
}

TEST(CaptureTime, RejectsMalformedAndImpossibleTimes) {
  const auto err = [](const std::string& text) {
    return error_of([&] { parse_capture_time(text); });
  };
  EXPECT_HAS(err("yesterday"), "'yesterday' is not a capture time");
  EXPECT_HAS(err("2024-07-01 22"), "is not a capture time");
  EXPECT_HAS(err("2024-07:01 22:15"), "is not a capture time");  // mixed separators
  EXPECT_HAS(err("2024-07-01 22:15:03 "), "is not a capture time");
  EXPECT_HAS(err("2024-13-01 00:00"), "month 13 is not 1-12");
  EXPECT_HAS(err("2024-00-10 00:00"), "month 0 is not 1-12");
  EXPECT_HAS(err("2023-02-29 00:00"), "day 29 is not 1-28");
  EXPECT_HAS(err("2024-04-31 00:00"), "day 31 is not 1-30");
  EXPECT_HAS(err("2024-07-01 24:00"), "hour 24 is not 0-23");
  EXPECT_HAS(err("2024-07-01 23:60"), "minute 60 is not 0-59");
  EXPECT_HAS(err("2024-07-01 23:59:60"), "second 60 is not 0-59");
  EXPECT_HAS(err("0000:00:00 00:00:00"), "'0000:00:00 00:00:00'");
  EXPECT_EQ(parse_capture_time("2024-02-29 00:00").day, 29);
}

TEST(Pattern, TrapDateAndTime) {
  const FileNamePattern p("{trap}_{yyyy}{mm}{dd}_{HH}{MM}");
  const auto m = p.match("trap_a_20240702_0315");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->trap, "trap_a");
  EXPECT_EQ(m->time, at(2024, 7, 2, 3, 15));
  EXPECT_FALSE(p.match("trap_a_20240702"));
  EXPECT_FALSE(p.match("trap_a_2024070_0315"));
  EXPECT_FALSE(p.match("x/trap_a_20240702_0315"));  // {trap} spans one folder level at most
}

TEST(Pattern, FolderLevelWildcardAndNoHour) {
  const FileNamePattern p("{trap}/IMG_{yyyy}-{mm}-{dd}*");
  const auto m = p.match("north.2/IMG_2024-07-01_0001");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->trap, "north.2");
  EXPECT_EQ(m->time, at(2024, 7, 1, 12));  // hour unknown: noon, so the date is the night
  EXPECT_EQ(night_of(*m->time), "2024-07-01");
  EXPECT_TRUE(p.match("north/IMG_2024-07-01"));
  EXPECT_FALSE(p.match("IMG_2024-07-01"));
  EXPECT_FALSE(p.match("north/img_2024-07-01"));
  // Literal characters that mean something to a regex stay literal.
  const FileNamePattern dots("{trap}.cam(1)+{yyyy}{mm}{dd}");
  EXPECT_TRUE(dots.match("a.cam(1)+20240701"));
  EXPECT_FALSE(dots.match("a-cam(1)+20240701"));
}

TEST(Pattern, TrapOnlyAndSeconds) {
  const auto trap_only = FileNamePattern("{trap}/*").match("east/DSC0001");
  ASSERT_TRUE(trap_only);
  EXPECT_EQ(trap_only->trap, "east");
  EXPECT_FALSE(trap_only->time);
  const auto dated = FileNamePattern("{yyyy}{mm}{dd}{HH}{MM}{SS}").match("20241231235959");
  ASSERT_TRUE(dated);
  EXPECT_EQ(dated->trap, "");
  EXPECT_EQ(dated->time, at(2024, 12, 31, 23, 59, 59));
}

TEST(Pattern, BadPatternsAndImpossibleDates) {
  const auto err = [](const std::string& p) { return error_of([&] { FileNamePattern{p}; }); };
  EXPECT_HAS(err("{trap}_{date}"), "unknown placeholder {date}");
  EXPECT_HAS(err("{trap}_{yyyy}{mm}"), "a date needs all of {yyyy} {mm} {dd}");
  EXPECT_HAS(err("{trap}_{HH}{MM}"), "a date needs all of");
  EXPECT_HAS(err("{yyyy}{mm}{dd}_{MM}"), "{MM} needs {HH}");
  EXPECT_HAS(err("{yyyy}{mm}{dd}_{HH}{SS}"), "{SS} needs {MM}");
  EXPECT_HAS(err("{trap}_{trap}"), "{trap} appears twice");
  EXPECT_HAS(err("{trap"), "'{' without '}'");
  EXPECT_HAS(err("IMG_*"), "gives neither {trap} nor a date");
  const FileNamePattern p("{trap}_{yyyy}{mm}{dd}");
  EXPECT_HAS(error_of([&] { p.match("a_20240230"); }), "day 30 is not 1-29");
}

class Table : public TempDirTest {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(path(name)) << text;
    return path(name);
  }
  std::string error(const std::string& text) {
    return error_of([&] { CaptureTable::read_csv(write("bad.csv", text)); });
  }
};

TEST_F(Table, ReadsAliasesQuotingAndExtraColumns) {
  const std::string csv = write("meta.csv",
                                "\xEF\xBB\xBFImage, Notes ,TRAP,DateTime\r\n"
                                "north/IMG_1.jpg,\"rain, wind\",north,2024-07-01 22:00\r\n"
                                "\r\n"
                                "\"IMG 2, \"\"dusk\"\".jpg\",,\"south\",2024:07:02 03:00:00\r\n"
                                "IMG_3.jpg,,,\r\n");
  const CaptureTable t = CaptureTable::read_csv(csv);
  const auto a = t.find("north/IMG_1.jpg");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->trap, "north");
  EXPECT_EQ(a->time, at(2024, 7, 1, 22));
  const auto b = t.find("IMG 2, \"dusk\".jpg");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->trap, "south");
  EXPECT_EQ(b->time, at(2024, 7, 2, 3));
  const auto c = t.find("IMG_3.jpg");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->trap, "");
  EXPECT_FALSE(c->time);
  EXPECT_FALSE(t.find("IMG_4.jpg"));
  EXPECT_FALSE(t.find("north/IMG_1.png"));
}

TEST_F(Table, MatchesByPathThenByUniqueBaseName) {
  const CaptureTable t = CaptureTable::read_csv(write("meta.csv",
                                                      "file,trap\n"
                                                      "night1/north/IMG_1.jpg,n\n"
                                                      "a/IMG_2.jpg,a\n"
                                                      "b/IMG_2.jpg,b\n"
                                                      "IMG_3.jpg,bare\n"));
  EXPECT_EQ(t.find("north/IMG_1.jpg")->trap, "n");  // the only IMG_1.jpg
  EXPECT_EQ(t.find("./north/../north/IMG_1.jpg")->trap, "n");
  EXPECT_EQ(t.find("b/IMG_2.jpg")->trap, "b");
  EXPECT_EQ(t.find("x/IMG_3.jpg")->trap, "bare");  // a bare name fits any folder
  EXPECT_FALSE(t.find("c/IMG_2.jpg"));             // another trap's folder: not a/ nor b/
  EXPECT_HAS(error_of([&] { t.find("IMG_2.jpg"); }), "could both be image 'IMG_2.jpg'");
}

TEST_F(Table, ErrorsNameFileAndLine) {
  EXPECT_HAS(error_of([&] { CaptureTable::read_csv(path("none.csv")); }), "none.csv: no such file");
  EXPECT_HAS(error("trap,time\nnorth,2024-07-01 22:00\n"), "bad.csv:1: no 'file' column");
  EXPECT_HAS(error("file,image\nx.jpg,y.jpg\n"), "bad.csv:1: columns 'file' and 'image'");
  EXPECT_HAS(error("file,time\na.jpg,2024-07-01 22:00\n\nb.jpg,2024-02-30 22:00\n"),
             "bad.csv:4: capture time '2024-02-30 22:00': day 30 is not 1-29");
  EXPECT_HAS(error("file,trap\na.jpg,n\nb.jpg,s\na.jpg,e\n"),
             "bad.csv:4: 'a.jpg' is already on line 2");
  EXPECT_HAS(error("file,trap\na.jpg,n,extra\n"), "bad.csv:2: 3 fields, the header has 2");
  EXPECT_HAS(error("file,trap\n\"a.jpg,n\n"), "bad.csv:2: a quoted field is not closed");
  EXPECT_HAS(error("file,trap\n\"a\"b.jpg,n\n"), "bad.csv:2: text after a closing quote");
  EXPECT_HAS(error("file,trap\n,n\n"), "bad.csv:2: no file name");
  EXPECT_HAS(error(""), "bad.csv: empty");
}

// A small JPEG, with an APP1 EXIF block holding `tags` (tag, IFD, text) when there are any.
std::vector<uchar> jpeg_with_exif(
    const std::vector<std::tuple<ExifTag, ExifIfd, std::string>>& tags, bool exif_block = true) {
  std::vector<uchar> jpeg;
  cv::imencode(".jpg", cv::Mat(8, 8, CV_8UC3, cv::Scalar(0, 200, 255)), jpeg);
  if (!exif_block) return jpeg;
  ExifData* data = exif_data_new();
  exif_data_unset_option(data, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);  // no tags of its own
  for (const auto& [tag, ifd, text] : tags) {
    ExifEntry* e = exif_entry_new();
    exif_content_add_entry(data->ifd[ifd], e);
    exif_entry_initialize(e, tag);  // ASCII, 20 bytes: 19 characters and the terminating 0
    EXPECT_EQ(e->size, text.size() + 1);
    std::memcpy(e->data, text.c_str(), e->size);
    exif_entry_unref(e);
  }
  unsigned char* block = nullptr;
  unsigned int size = 0;
  exif_data_save_data(data, &block, &size);
  exif_data_unref(data);
  EXPECT_GT(size, 6u);
  EXPECT_EQ(std::memcmp(block, "Exif\0\0", 6), 0);  // the APP1 payload, header included
  const unsigned length = size + 2;                 // big-endian, counts its own two bytes
  const std::vector<uchar> app1 = {0xFF, 0xE1, uchar(length >> 8), uchar(length & 0xFF)};
  std::vector<uchar> out(jpeg.begin(), jpeg.begin() + 2);  // SOI
  out.insert(out.end(), app1.begin(), app1.end());
  out.insert(out.end(), block, block + size);
  out.insert(out.end(), jpeg.begin() + 2, jpeg.end());
  std::free(block);
  return out;
}

class Exif : public TempDirTest {
 protected:
  std::string write(const std::string& name, const std::vector<uchar>& bytes) {
    std::filesystem::create_directories(std::filesystem::path(path(name)).parent_path());
    std::ofstream(path(name), std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    return path(name);
  }
};

TEST_F(Exif, ReadsDateTimeOriginal) {
  const std::string f = write(
      "a.jpg", jpeg_with_exif({{EXIF_TAG_DATE_TIME_ORIGINAL, EXIF_IFD_EXIF, "2024:07:02 03:15:09"},
                               {EXIF_TAG_DATE_TIME, EXIF_IFD_0, "2024:08:01 10:00:00"}}));
  EXPECT_FALSE(cv::imread(f).empty());  // still a JPEG
  EXPECT_EQ(exif_capture_time(f), at(2024, 7, 2, 3, 15, 9));
}

TEST_F(Exif, FallsBackToDigitizedThenDateTime) {
  const std::string digitized = write(
      "d.jpg", jpeg_with_exif({{EXIF_TAG_DATE_TIME_DIGITIZED, EXIF_IFD_EXIF, "2024:07:03 01:00:00"},
                               {EXIF_TAG_DATE_TIME, EXIF_IFD_0, "2024:08:01 10:00:00"}}));
  EXPECT_EQ(exif_capture_time(digitized), at(2024, 7, 3, 1));
  // An unset camera clock counts as no time at all.
  const std::string unset = write(
      "u.jpg", jpeg_with_exif({{EXIF_TAG_DATE_TIME_ORIGINAL, EXIF_IFD_EXIF, "0000:00:00 00:00:00"},
                               {EXIF_TAG_DATE_TIME, EXIF_IFD_0, "2024:08:01 10:00:00"}}));
  EXPECT_EQ(exif_capture_time(unset), at(2024, 8, 1, 10));
}

TEST_F(Exif, NoExifOrNoTimeGivesNothing) {
  EXPECT_EQ(exif_capture_time(write("plain.jpg", jpeg_with_exif({}, false))), std::nullopt);
  EXPECT_EQ(exif_capture_time(write("empty.jpg", jpeg_with_exif({}))), std::nullopt);
  EXPECT_HAS(error_of([&] { exif_capture_time(path("none.jpg")); }), "none.jpg: no such file");
}

TEST_F(Exif, CaptureInfoPrefersTableThenPatternThenExif) {
  write("north/IMG_20240701_2200.jpg",
        jpeg_with_exif({{EXIF_TAG_DATE_TIME_ORIGINAL, EXIF_IFD_EXIF, "2024:07:05 23:00:00"}}));
  write("north/IMG_20240702_0300.jpg",
        jpeg_with_exif({{EXIF_TAG_DATE_TIME_ORIGINAL, EXIF_IFD_EXIF, "2024:07:05 23:00:00"}}));
  write("south/DSC_1.jpg",
        jpeg_with_exif({{EXIF_TAG_DATE_TIME_ORIGINAL, EXIF_IFD_EXIF, "2024:07:05 23:00:00"}}));
  std::ofstream(path("meta.csv")) << "file,trap,time\nIMG_20240701_2200.jpg,,2024-07-09 21:00\n"
                                     "south/DSC_1.jpg,s1,\n";
  const CaptureTable table = CaptureTable::read_csv(path("meta.csv"));
  const FileNamePattern pattern("{trap}/IMG_{yyyy}{mm}{dd}_{HH}{MM}");
  const std::string root = dir_.string();
  const auto info = [&](const std::string& rel, const CaptureSources& s) {
    return capture_info(root, rel, s);
  };

  // CSV time, pattern trap (the CSV leaves it empty).
  auto c = info("north/IMG_20240701_2200.jpg", {.table = &table, .pattern = &pattern});
  EXPECT_EQ(c.trap, "north");
  EXPECT_EQ(c.time, at(2024, 7, 9, 21));
  // Pattern time over EXIF.
  c = info("north/IMG_20240702_0300.jpg", {.table = &table, .pattern = &pattern});
  EXPECT_EQ(c.time, at(2024, 7, 2, 3));
  // The pattern does not match: CSV trap, EXIF time; without EXIF, no time.
  c = info("south/DSC_1.jpg", {.table = &table, .pattern = &pattern});
  EXPECT_EQ(c.trap, "s1");
  EXPECT_EQ(c.time, at(2024, 7, 5, 23));
  c = info("south/DSC_1.jpg", {.table = &table, .pattern = &pattern, .exif = false});
  EXPECT_FALSE(c.time);
  // EXIF alone.
  c = info("north/IMG_20240702_0300.jpg", {});
  EXPECT_EQ(c.trap, "");
  EXPECT_EQ(c.time, at(2024, 7, 5, 23));
}

}  // namespace
}  // namespace tessera::ecology
