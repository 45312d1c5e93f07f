// JSON shapes, for checking a stand-in's answers against a real server's: every path (array elements as
// "[]", all elements together) with its JSON type.

export function jsonShape(json: unknown, at = '', out = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(json)) {
    out.set(at, 'array');
    for (const item of json) jsonShape(item, `${at}[]`, out);
  } else if (json !== null && typeof json === 'object') {
    out.set(at, 'object');
    for (const [k, v] of Object.entries(json)) jsonShape(v, at ? `${at}.${k}` : k, out);
  } else {
    out.set(at, json === null ? 'null' : typeof json);
  }
  return out;
}

/** Paths of the real answer the stand-in lacks, and paths typed differently. The stand-in may send more (a
 *  newer server's fields), but must send everything the real server does. */
export function diffShapes(
  real: Map<string, string>,
  standin: Map<string, string>,
): { missing: string[]; wrongType: string[] } {
  const paths = [...real.keys()];
  const missing = paths.filter((p) => !standin.has(p));
  const wrongType = paths
    .filter((p) => standin.has(p) && standin.get(p) !== real.get(p))
    .map((p) => `${p}: ${real.get(p)} vs ${standin.get(p)}`);
  return { missing, wrongType };
}
