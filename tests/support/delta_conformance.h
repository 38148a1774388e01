// An independent checker of Delta tables against the protocol (reference/sources/
// delta-PROTOCOL.md). It shares no code with the writer in src/lake: it parses the log itself
// with a JSON library and reads data files with the engine, so a bug in the writer's
// serialisation is not hidden by the same bug in its reader.
#pragma once

#include <string>
#include <vector>

namespace dicomlake::testing {

// Problems found in the table at `table_root`; empty when it conforms. Checks:
//  - commit files `<20 digits>.json`, versions contiguous from 0, every file ending in '\n';
//  - every line one JSON object with exactly one action; version 0 holds protocol and metaData;
//    at most one protocol and one metaData per commit, at most one add per path per commit;
//  - required fields present with the right JSON types (protocol, metaData, add, remove);
//  - schemaString parses as a Spark struct type; stats parse as JSON with numRecords;
//  - every add's file exists with the logged size; for the live files of the latest version the
//    Parquet columns match the schema (names, order, types; timestamps INT64 micros UTC; a file
//    written before nullable columns were added may lack them at the end) and numRecords
//    equals the rows in the file;
//  - `_last_checkpoint`, when present, names a checkpoint file that exists.
std::vector<std::string> CheckDeltaTable(const std::string& table_root);

// CheckDeltaTable for every folder under `root` that has a `_delta_log`; problems are prefixed
// with the table path.
std::vector<std::string> CheckAllTablesUnder(const std::string& root);

}  // namespace dicomlake::testing
