// Names next to codes: a code field's table comes from the field table (GET /declaration-fields), its
// names from the code table (GET /code-tables/{name}); each is read once per page load. A field whose
// table the service does not name (yet) shows its code as it is.
import { get } from "./api.js";
import { getLang } from "./i18n.js";
import { h } from "./ui.js";

let catalogue = null; // Promise of GET /declaration-fields
const tables = new Map(); // table name → Promise of Map(code → {zh, en})
const ready = new Map(); // table name → Map(code → {zh, en}), once read

/** The field table (groups and fields in the form's order), read once. */
export function fields() {
  if (!catalogue) {
    catalogue = get("/declaration-fields").catch((err) => {
      catalogue = null; // a failed read is tried again by the next screen
      throw err;
    });
  }
  return catalogue;
}

function table(name) {
  if (!tables.has(name)) {
    tables.set(name, get(`/code-tables/${name}`).then((body) => {
      const rows = new Map(body.codes.map((c) => [c.code, c]));
      ready.set(name, rows);
      return rows;
    }, (err) => {
      tables.delete(name);
      throw err;
    }));
  }
  return tables.get(name);
}

const tableOf = new Map(); // field path → code table name

/** Read the tables of these field paths (e.g. "declare_customs", "goods[].duty_mode") before rendering. */
export async function load(...paths) {
  const { fields: all } = await fields();
  for (const f of all) if (f.code_table) tableOf.set(f.path, f.code_table);
  await Promise.all([...new Set(paths.map((p) => tableOf.get(p)).filter(Boolean))].map(table));
}

/** The name of a code of a field, in the current language (Chinese when the table has no English). */
export function nameOf(path, code) {
  const rows = ready.get(tableOf.get(path));
  const row = code !== null && code !== undefined ? rows?.get(String(code)) : null;
  if (!row) return null;
  return getLang() === "en" && row.en ? row.en : row.zh;
}

/** As lists show it: the name, the code in its tooltip; the code when no name is known. */
export function named(path, code) {
  if (code === null || code === undefined || code === "") return null;
  const name = nameOf(path, code);
  return name ? h("span", { title: String(code) }, name) : String(code);
}

/** As a declaration shows it: the code and its name. */
export function coded(path, code) {
  if (code === null || code === undefined || code === "") return null;
  const name = nameOf(path, code);
  return name ? `${code} ${name}` : String(code);
}

/** [[code, "code name"], …] of a field's table, for a filter or a form's list. */
export function options(path) {
  const rows = ready.get(tableOf.get(path));
  return rows ? [...rows.values()].map((r) => [r.code, `${r.code} ${getLang() === "en" && r.en ? r.en : r.zh}`]) : [];
}
