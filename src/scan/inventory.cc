#include "scan/inventory.h"

#include <sys/stat.h>

#include <algorithm>

#include "common/fs.h"
#include "lake/engine.h"

namespace dicomlake::scan {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void ListListings(const std::string& dir, std::vector<std::string>* out) {
  auto entries = fs::ListDir(dir);
  if (!entries.ok()) return;
  for (const auto& e : *entries) {
    if (e.name.empty() || e.name[0] == '.') continue;
    std::string path = fs::Join(dir, e.name);
    if (e.is_dir) {
      ListListings(path, out);
    } else if (EndsWith(e.name, ".parquet") || EndsWith(e.name, ".csv")) {
      out->push_back(path);
    }
  }
}

// SQL giving (name, modified_us) for one listing, in either layout.
Result<std::string> ListingSql(lake::Engine& engine, const std::string& listing) {
  std::string reader =
      EndsWith(listing, ".csv")
          ? "read_csv(" + lake::QuoteLiteral(listing) + ", header=true, all_varchar=true)"
          : "read_parquet(" + lake::QuoteLiteral(listing) + ")";
  DL_ASSIGN_OR_RETURN(lake::QueryResult columns, engine.Query("DESCRIBE SELECT * FROM " + reader));
  auto has = [&](const std::string& name) {
    return std::any_of(columns.rows.begin(), columns.rows.end(),
                       [&](const lake::Row& r) { return r[0].s == name; });
  };
  // Azure writes ISO-8601 ("2024-05-06T07:08:09.1234567Z") or RFC 1123 ("Mon, 06 May 2024 ...").
  auto timestamp = [](const std::string& column) {
    std::string c = lake::QuoteIdent(column) + "::VARCHAR";
    return "epoch_us(coalesce(TRY_CAST(" + c + " AS TIMESTAMPTZ), try_strptime(" + c +
           ", '%a, %d %b %Y %H:%M:%S GMT')::TIMESTAMPTZ))";
  };
  if (has("Name") && has("Last-Modified")) {
    std::string folder =
        has("hdi_isfolder") ? " WHERE coalesce(lower(\"hdi_isfolder\"::VARCHAR), 'false') <> 'true'"
                            : "";
    return "SELECT \"Name\"::VARCHAR, " + timestamp("Last-Modified") + " FROM " + reader + folder;
  }
  if (has("filePath") && has("sourceModifiedAt")) {
    return "SELECT \"filePath\"::VARCHAR, " + timestamp("sourceModifiedAt") + " FROM " + reader;
  }
  return InvalidArgument(
      "has neither the Azure inventory columns (Name, Last-Modified) nor the generic ones "
      "(filePath, sourceModifiedAt)");
}

}  // namespace

Status ReadInventories(lake::Engine& engine, const InventoryOptions& options,
                       std::vector<SourceFile>* files, std::vector<Refusal>* refused) {
  auto namespaces = fs::ListDir(options.inventory_root);
  if (!namespaces.ok()) return Status::Ok();  // no inventories
  for (const auto& ns : *namespaces) {
    if (!ns.is_dir || ns.name[0] == '.') continue;
    if (!options.only_namespace.empty() && ns.name != options.only_namespace) continue;
    auto watermark = options.newer_than_us.find(ns.name);
    int64_t newer_than = watermark == options.newer_than_us.end() ? INT64_MIN : watermark->second;
    std::vector<std::string> listings;
    ListListings(fs::Join(options.inventory_root, ns.name), &listings);
    std::sort(listings.begin(), listings.end());
    for (const auto& listing : listings) {
      auto sql = ListingSql(engine, listing);
      auto rows = sql.ok() ? engine.Query(*sql) : Result<lake::QueryResult>(sql.status());
      if (!rows.ok()) {
        refused->push_back({listing, "inventory listing not readable: " + rows.status().message()});
        continue;
      }
      for (const auto& row : rows->rows) {
        if (row[0].is_null() || row[0].s.empty()) continue;
        if (row[1].is_null()) {
          refused->push_back(
              {listing + "!" + row[0].s, "inventory row without a valid modification time"});
          continue;
        }
        // Bronze keeps microseconds, listings may have more or less: compare milliseconds.
        if (newer_than != INT64_MIN && row[1].i / 1000 <= newer_than / 1000) continue;
        const std::string& name = row[0].s;
        std::string path = name[0] == '/' ? name : fs::Join(options.base_path, name);
        struct stat st;
        if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
          refused->push_back({path, "listed in inventory " + listing + " but not found"});
          continue;
        }
        SourceFile f;
        f.path = f.source_path = path;
        f.relative_path = name;
        f.namespace_name = ns.name;
        f.inventory_file = listing;
        f.size = static_cast<uint64_t>(st.st_size);
        f.mtime_ms = row[1].i / 1000;
        files->push_back(std::move(f));
      }
    }
  }
  return Status::Ok();
}

}  // namespace dicomlake::scan
