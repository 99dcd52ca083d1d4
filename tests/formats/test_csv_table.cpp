// The CSV reader on tables written out by hand: RFC 4180 quoting (delimiters, line breaks and
// doubled quotes inside quotes), Excel's BOM and CRLF, blank lines, delimiter detection, and
// errors that name the file and the line.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "error_of.hpp"
#include "temp_dir.hpp"
#include "tessera/formats/csv_table.hpp"

namespace tessera::formats {
namespace {

using tessera::testing::error_of;
using Cells = std::vector<std::string>;

CsvTable parse(const std::string& text, char delimiter = ',') {
  return parse_csv_table(text, "t.csv", {.delimiter = delimiter});
}

std::string error(const std::string& text, char delimiter = ',') {
  return error_of([&] { parse(text, delimiter); });
}

TEST(CsvTable, ByteOrderMarkAndCrlf) {
  const CsvTable t = parse(
      "\xEF\xBB\xBF"
      "a,b\r\n1,2\r\n3,4\r\n");
  EXPECT_EQ(t.header, (Cells{"a", "b"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0].cells, (Cells{"1", "2"}));
  EXPECT_EQ(t.rows[1].cells, (Cells{"3", "4"}));
  EXPECT_EQ(t.header_line, 1);
  EXPECT_EQ(t.rows[0].line, 2);
  EXPECT_EQ(t.rows[1].line, 3);
}

TEST(CsvTable, QuotesHoldDelimitersAndLineBreaks) {
  const CsvTable t = parse(
      "name,note\n"
      "\"Smith, J\",\"line one\nline two\"\n"
      "next,\"a\r\nb\"\r\n"
      "last,x\n");
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[0].cells, (Cells{"Smith, J", "line one\nline two"}));
  EXPECT_EQ(t.rows[1].cells, (Cells{"next", "a\nb"}));  // a quoted CRLF reads as a line feed
  EXPECT_EQ(t.rows[2].cells, (Cells{"last", "x"}));
  // A row starts on the line after the lines the quoted break spans.
  EXPECT_EQ(t.rows[0].line, 2);
  EXPECT_EQ(t.rows[1].line, 4);
  EXPECT_EQ(t.rows[2].line, 6);
}

TEST(CsvTable, DoubledQuotesAndBlanks) {
  const CsvTable t = parse(
      "a , b ,c\n"
      "\"say \"\"hi\"\"\",\"\"\"\",\"\"\n"
      "  1 ,\" 2 \" , 3\t\n"
      ",,\n");
  EXPECT_EQ(t.header, (Cells{"a", "b", "c"}));
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[0].cells, (Cells{"say \"hi\"", "\"", ""}));
  EXPECT_EQ(t.rows[1].cells, (Cells{"1", " 2 ", "3"}));  // blanks inside quotes stay
  EXPECT_EQ(t.rows[2].cells, (Cells{"", "", ""}));
}

TEST(CsvTable, BlankLinesAreSkippedAndStillCounted) {
  const CsvTable t = parse("\n\na\n\n1\n  \r\n2");
  EXPECT_EQ(t.header, Cells{"a"});
  EXPECT_EQ(t.header_line, 3);
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0].line, 5);
  EXPECT_EQ(t.rows[1].line, 7);  // the last line needs no line end
  EXPECT_EQ(t.rows[1].cells, Cells{"2"});
}

TEST(CsvTable, DelimiterDetectedFromTheHeader) {
  EXPECT_EQ(parse("a;b;c\n1;2;3\n", 0).delimiter, ';');
  EXPECT_EQ(parse("a;b;c\n1;2;3\n", 0).rows[0].cells, (Cells{"1", "2", "3"}));
  const CsvTable tabs = parse("a\tb\n\t2\n", 0);
  EXPECT_EQ(tabs.delimiter, '\t');
  EXPECT_EQ(tabs.rows[0].cells, (Cells{"", "2"}));  // a tab delimits, it is not a blank
  // Commas inside a quoted header name do not count.
  const CsvTable quoted = parse("\"x,y,z\";w\n1;2\n", 0);
  EXPECT_EQ(quoted.delimiter, ';');
  EXPECT_EQ(quoted.header, (Cells{"x,y,z", "w"}));
  EXPECT_EQ(parse("a,b\n1,2\n", 0).delimiter, ',');
  EXPECT_EQ(error("\ndate\n2000-01-01\n", 0),
            "t.csv:2: cannot tell the delimiter from the header (no ',', ';' or tab)");
}

TEST(CsvTable, RaggedRowsAreRefusedWithTheirLine) {
  EXPECT_EQ(error("a,b\n1,2\n1,2,3\n"), "t.csv:3: 3 fields, the header has 2");
  EXPECT_EQ(error("a,b\n\"x\ny\",1\n5\n"), "t.csv:4: 1 fields, the header has 2");
  EXPECT_EQ(error("a;b\n1,2\n", ';'), "t.csv:2: 1 fields, the header has 2");
}

TEST(CsvTable, MalformedQuotingIsRefusedWithTheLine) {
  EXPECT_EQ(error("a,b\n1,\"open\n\nmore\n"), "t.csv:2: a quoted field is not closed");
  EXPECT_EQ(error("a,b\n\"x\"y,1\n"), "t.csv:2: text after a closing quote: 'y,1'");
  EXPECT_EQ(error(""), "t.csv: empty, no header row");
  EXPECT_EQ(error("\n \r\n\t\n"), "t.csv: empty, no header row");
}

TEST(CsvTable, ColumnsByAnyOfTheirNames) {
  const CsvTable t = parse("File,TRAP,when\nx,y,z\n");
  EXPECT_EQ(t.column({"file", "image"}), 0);
  EXPECT_EQ(t.column({"trap"}), 1);
  EXPECT_EQ(t.column({"time"}), -1);
  EXPECT_EQ(error_of([&] {
              parse("File,image\nx,y\n").column({"file", "image"});
            }),
            "t.csv:1: columns 'File' and 'image' both name the same thing");
  EXPECT_EQ(error_of([&] { t.fail(2, "no file name"); }), "t.csv:2: no file name");
}

TEST(CsvTable, WrittenFieldsReadBack) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  const Cells values{"a,b", "say \"hi\"", "two\nlines", " padded ", ""};
  std::string text = "a,b,c,d,e\n";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) text += ',';
    text += csv_field(values[i]);
  }
  // " padded " needs no quotes to be written, but loses its blanks when read unquoted.
  const Cells expected{"a,b", "say \"hi\"", "two\nlines", "padded", ""};
  EXPECT_EQ(parse(text).rows.at(0).cells, expected);
}

class CsvFile : public tessera::testing::TempDirTest {};

TEST_F(CsvFile, ReadsAFileAndNamesItInErrors) {
  std::ofstream(path("m.csv"), std::ios::binary) << "\xEF\xBB\xBF"
                                                    "a,b\r\n1,\"x\r\ny\"\r\n";
  const CsvTable t = read_csv_table(path("m.csv"));
  EXPECT_EQ(t.path, path("m.csv"));
  EXPECT_EQ(t.rows.at(0).cells, (Cells{"1", "x\ny"}));
  EXPECT_EQ(error_of([&] { read_csv_table(path("none.csv")); }),
            path("none.csv") + ": no such file");
  std::ofstream(path("ragged.csv")) << "a,b\n1\n";
  EXPECT_EQ(error_of([&] { read_csv_table(path("ragged.csv")); }),
            path("ragged.csv") + ":2: 1 fields, the header has 2");
}

}  // namespace
}  // namespace tessera::formats
