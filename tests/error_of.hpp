#pragma once
// The message of the std::runtime_error a call throws, for tests that check what an error
// says: "" and a test failure when it throws none.
//
//   EXPECT_HAS(error_of([&] { read_coco(path); }), "no such file");
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace tessera::testing {

template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no std::runtime_error";
  return "";
}

}  // namespace tessera::testing

#define EXPECT_HAS(text, part) \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << "'" << (text) << "'"
