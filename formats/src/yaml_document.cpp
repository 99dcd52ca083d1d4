#include "tessera/formats/yaml_document.hpp"

#include <cctype>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <vector>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

namespace tessera {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw std::runtime_error(source + ": " + what);
}

// Plain scalars become numbers, booleans or null when they read as such.
json scalar_to_json(const std::string& tag, const std::string& s) {
  if (tag == "!") return s;  // quoted
  if (s == "true" || s == "True") return true;
  if (s == "false" || s == "False") return false;
  if (s == "null" || s == "~") return nullptr;
  const bool leading_zero = s.size() > 1 && s[0] == '0' && std::isdigit((unsigned char)s[1]);
  if (!s.empty() && !leading_zero) {
    std::istringstream in(s);
    if (s.find_first_of(".eE") == std::string::npos) {
      int64_t i = 0;
      if (in >> i && in.eof()) return i;
    } else {
      double d = 0;
      if (in >> d && in.eof()) return d;
    }
  }
  return s;
}

// Builds the JSON value of a document from the parser's events. Aliases are copies of what their
// anchor holds, counted against the value budget as such; an anchor is known only once its node
// is complete, so an alias inside its own anchor is a recursion.
class JsonBuilder : public YAML::EventHandler {
 public:
  JsonBuilder(std::string source, const JsonLimits& limits)
      : source_(std::move(source)), limits_(limits) {}

  json take() { return std::move(root_); }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    add(mark, nullptr, 1, anchor);
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    if (!open_.empty() && open_.back().value.is_object() && !open_.back().key) {
      open_.back().key = value;  // keys stay text: "2000: x" names the key "2000"
      return;
    }
    add(mark, scalar_to_json(tag, value), 1, anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    const auto it = anchors_.find(anchor);
    if (it == anchors_.end())
      fail(at(mark), "not valid YAML: an alias refers to the node that holds it (a recursion)");
    require_value_not_key(mark);
    count(mark, it->second.count);  // before the copy is made
    place(mark, it->second.value, it->second.count, 0);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    start(mark, json::array(), anchor);
  }
  void OnSequenceEnd() override { end(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    start(mark, json::object(), anchor);
  }
  void OnMapEnd() override { end(); }

 private:
  struct Open {
    json value;
    YAML::anchor_t anchor = 0;
    std::size_t count = 1;           // values inside, itself included
    std::optional<std::string> key;  // maps: the key waiting for its value
    YAML::Mark mark;
  };
  struct Anchored {
    json value;
    std::size_t count;
  };

  std::string at(const YAML::Mark& mark) const {
    return source_ + ":" + std::to_string(mark.line + 1);
  }

  void count(const YAML::Mark& mark, std::size_t n) {
    values_ += n;
    if (values_ > kMaxYamlValues)
      fail(at(mark), "not valid YAML: expands to more than " + std::to_string(kMaxYamlValues) +
                         " values (aliases repeating aliases?)");
  }

  void start(const YAML::Mark& mark, json empty, YAML::anchor_t anchor) {
    if (!open_.empty() && open_.back().value.is_object() && !open_.back().key)
      fail(at(mark), "not valid YAML: a key must be plain text, not a list or a map");
    if (int(open_.size()) >= limits_.max_depth)
      fail(at(mark), "not valid YAML: nested more than " + std::to_string(limits_.max_depth) +
                         " levels deep");
    count(mark, 1);
    open_.push_back({std::move(empty), anchor, 1, std::nullopt, mark});
  }

  void end() {
    Open done = std::move(open_.back());
    open_.pop_back();
    place(done.mark, std::move(done.value), done.count, done.anchor);
  }

  void require_value_not_key(const YAML::Mark& mark) const {
    if (!open_.empty() && open_.back().value.is_object() && !open_.back().key)
      fail(at(mark), "not valid YAML: a key must be plain text");
  }

  void add(const YAML::Mark& mark, json value, std::size_t n, YAML::anchor_t anchor) {
    require_value_not_key(mark);
    count(mark, n);
    place(mark, std::move(value), n, anchor);
  }

  // Puts a complete value into the collection that holds it (or makes it the document).
  void place(const YAML::Mark& mark, json value, std::size_t n, YAML::anchor_t anchor) {
    if (anchor != 0) anchors_[anchor] = {value, n};
    if (open_.empty()) {
      root_ = std::move(value);
      return;
    }
    Open& top = open_.back();
    top.count += n;
    if (top.value.is_array()) {
      top.value.push_back(std::move(value));
    } else {
      if (top.value.contains(*top.key))
        fail(at(mark), "not valid YAML: the key '" + *top.key + "' appears twice");
      top.value[*top.key] = std::move(value);
      top.key.reset();
    }
  }

  std::string source_;
  JsonLimits limits_;
  std::vector<Open> open_;
  std::map<YAML::anchor_t, Anchored> anchors_;
  std::size_t values_ = 0;
  json root_;
};

}  // namespace

json parse_yaml(std::string_view text, const std::string& source, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes)
    fail(source, "YAML of " + std::to_string(text.size()) + " bytes is larger than the limit of " +
                     std::to_string(limits.max_bytes));
  std::istringstream in{std::string(text)};
  JsonBuilder builder(source, limits);
  try {
    YAML::Parser parser(in);
    parser.HandleNextDocument(builder);
  } catch (const YAML::Exception& e) {
    fail(source, std::string("not valid YAML: ") + e.what());
  }
  return builder.take();
}

json read_yaml_file(const std::string& path, const JsonLimits& limits) {
  return parse_yaml(read_text_file(path, limits.max_bytes, "YAML"), path, limits);
}

}  // namespace tessera
