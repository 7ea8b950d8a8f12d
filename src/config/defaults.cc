// `stasis config init`: the default config file, every key with its default
// and one line of help. It is generated from the key table so that it cannot
// drift from what the parser accepts (a test parses it back).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/config_internal.h"

namespace stasis::config {

namespace {

// Keys whose default follows another key. Writing them out would pin them:
// a user who later edits state.dir would keep the database in the old place.
// They are shown commented out instead.
bool FollowsAnotherKey(std::string_view name) {
  return name == "db.path";
}

// One member of a JSON object: its help comment and `"key": value`, which is
// written as a comment too when the member is commented out.
struct Member {
  std::string help;
  std::string line;
  bool commented = false;
};

// Renders members at `indent`, with the commas JSON needs. Commented-out
// members take no comma, so their text rides along with the next real one.
std::string RenderMembers(const std::vector<Member>& members, const std::string& indent,
                          const std::string& separator) {
  std::vector<std::string> parts;
  std::string pending;
  for (const Member& m : members) {
    pending += indent + "// " + m.help + "\n";
    if (m.commented) {
      pending += indent + "// " + m.line + "\n";
      continue;
    }
    parts.push_back(pending + indent + m.line);
    pending.clear();
  }
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += parts[i];
  }
  if (!pending.empty()) {
    pending.pop_back();  // the last '\n'; the caller ends the line
    if (!out.empty()) out += "\n";
    out += pending;
  }
  return out;
}

std::string ValueText(const internal::KeyInfo& key, const Config& config) {
  std::string out;
  std::visit([&out](const auto& v) { out = nlohmann::json(v).dump(); },
             internal::GetValue(key, config));
  return out;
}

std::string Quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

// The members of one section, gathered as one top-level member. A section
// whose keys are all commented out is commented out as a whole, on one line.
Member SectionMember(std::string_view section, const std::vector<Member>& members,
                     const std::vector<std::string>& leaf_lines) {
  bool all_commented = true;
  for (const Member& m : members) all_commented = all_commented && m.commented;
  Member out;
  if (all_commented) {
    std::string help;
    std::string body;
    for (size_t i = 0; i < members.size(); ++i) {
      help += (i > 0 ? " " : "") + members[i].help;
      body += (i > 0 ? ", " : "") + leaf_lines[i];
    }
    out.help = help;
    out.line = Quoted(section) + ": { " + body + " }";
    out.commented = true;
    return out;
  }
  out.line = Quoted(section) + ": {\n" + RenderMembers(members, "    ", ",\n") + "\n  }";
  return out;
}

}  // namespace

std::string DefaultConfigText() {
  const Config defaults;
  std::vector<Member> top;
  // Keys of one section are adjacent in the table; gather each run.
  std::string section;
  std::vector<Member> members;
  std::vector<std::string> leaf_lines;
  auto flush_section = [&] {
    if (!section.empty()) top.push_back(SectionMember(section, members, leaf_lines));
    section.clear();
    members.clear();
    leaf_lines.clear();
  };
  for (const internal::KeyInfo& key : internal::AllKeys()) {
    size_t dot = key.name.find('.');
    std::string_view leaf = dot == std::string_view::npos ? key.name : key.name.substr(dot + 1);
    Member m{std::string(key.help), Quoted(leaf) + ": " + ValueText(key, defaults),
             FollowsAnotherKey(key.name)};
    if (dot == std::string_view::npos) {
      flush_section();
      top.push_back(std::move(m));
      continue;
    }
    std::string_view name = key.name.substr(0, dot);
    if (name != section) {
      flush_section();
      section = name;
    }
    leaf_lines.push_back(m.line);
    members.push_back(std::move(m));
  }
  flush_section();

  std::string out =
      "// stasis configuration: JSON with // comments.\n"
      "//\n"
      "// Every key is optional and shown with its default. Each one can be\n"
      "// overridden by an environment variable named after it (upper case, '.'\n"
      "// as '_', e.g. STASIS_CHECKPOINT_DIR), and command-line flags override\n"
      "// both. Unknown keys are refused, so a typo cannot go unnoticed.\n"
      "{\n";
  out += RenderMembers(top, "  ", ",\n\n");
  out += "\n}\n";
  return out;
}

}  // namespace stasis::config
