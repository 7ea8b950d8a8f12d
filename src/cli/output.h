// Printing: aligned text tables for people, JSON for programs.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "stasis/v1/daemon.pb.h"

namespace stasis::cli {

// Prints rows under a header with columns padded to their widest cell.
void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);

nlohmann::json JobToJson(const v1::Job& job);
nlohmann::json CheckpointToJson(const v1::Checkpoint& c);
void PrintJson(const nlohmann::json& j);

// "-" for an empty value, so table columns never collapse.
std::string OrDash(const std::string& s);

}  // namespace stasis::cli
