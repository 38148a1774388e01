// Independent Parquet reader for dicomlake's tests: reads each file with hyparquet (a
// JavaScript implementation sharing no code with DuckDB) and prints one JSON object per file:
//   {"file": "...", "columns": [...], "rows": [{...}, ...]}
// Usage: node read_parquet.mjs <node_modules dir> <file.parquet>...
// Values are normalised so that the C++ test can compare them: BigInt as decimal strings,
// Date objects as ISO-8601 strings, Uint8Array as arrays of bytes.
import { pathToFileURL } from 'node:url'
import path from 'node:path'

const [modules, ...files] = process.argv.slice(2)
const hyparquet = await import(pathToFileURL(path.join(modules, 'hyparquet/src/node.js')).href)
const { compressors } = await import(pathToFileURL(path.join(modules, 'hyparquet-compressors/src/index.js')).href)

function normalise(value) {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Date) return value.toISOString()
  if (value instanceof Uint8Array) return Array.from(value)
  if (Array.isArray(value)) return value.map(normalise)
  if (value && typeof value === 'object') {
    const out = {}
    for (const [k, v] of Object.entries(value)) out[k] = normalise(v)
    return out
  }
  return value
}

for (const file of files) {
  const buffer = await hyparquet.asyncBufferFromFile(file)
  const metadata = await hyparquet.parquetMetadataAsync(buffer)
  const columns = hyparquet.parquetSchema(metadata).children.map(c => c.element.name)
  const rows = await hyparquet.parquetReadObjects({ file: buffer, metadata, compressors })
  console.log(JSON.stringify({ file, columns, rows: rows.map(normalise) }))
}
