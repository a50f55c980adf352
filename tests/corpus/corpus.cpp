// SPDX-License-Identifier: BSD-3-Clause
#include "corpus/corpus.hpp"

#include <fstream>
#include <sstream>

namespace dicompix::test {

std::filesystem::path corpus_dir() {
    const std::filesystem::path dir = DICOMPIX_CORPUS_DIR;
    std::error_code ec;
    return std::filesystem::exists(dir / "MANIFEST.tsv", ec) ? dir : std::filesystem::path{};
}

std::vector<std::map<std::string, std::string>> read_tsv(const std::filesystem::path& path) {
    std::vector<std::map<std::string, std::string>> rows;
    std::ifstream in(path);
    std::string line;
    std::vector<std::string> header;
    auto split = [](const std::string& s) {
        std::vector<std::string> out;
        std::string field;
        std::istringstream ss(s);
        while (std::getline(ss, field, '\t')) {
            out.push_back(field);
        }
        if (!s.empty() && s.back() == '\t') {
            out.emplace_back();
        }
        return out;
    };
    if (!std::getline(in, line)) {
        return rows;
    }
    header = split(line);
    while (std::getline(in, line)) {
        if (line.empty()) {
            continue;
        }
        const auto fields = split(line);
        std::map<std::string, std::string> row;
        for (std::size_t i = 0; i < header.size(); ++i) {
            row[header[i]] = i < fields.size() ? fields[i] : std::string{};
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

const std::vector<std::map<std::string, std::string>>& manifest() {
    static const auto rows = corpus_dir().empty() ? std::vector<std::map<std::string, std::string>>{}
                                                  : read_tsv(corpus_dir() / "MANIFEST.tsv");
    return rows;
}

const std::vector<std::map<std::string, std::string>>& pairs() {
    static const auto rows = corpus_dir().empty() ? std::vector<std::map<std::string, std::string>>{}
                                                  : read_tsv(corpus_dir() / "PAIRS.tsv");
    return rows;
}

std::string test_name(const std::string& path) {
    std::string name;
    for (const char c : path) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        name += ok ? c : '_';
    }
    return name;
}

} // namespace dicompix::test
