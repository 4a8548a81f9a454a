// Bundle the UI: src/main.jsx -> <outdir>/assets/index.<hash>.{js,css}, and
// <outdir>/index.html naming them, each beside a .gz twin (Admin Router sends
// the twin to clients that accept gzip, with gzip_static).
//
//   node build.mjs [--outdir DIR]      (default: dist)
import { build } from "esbuild";
import { gzipSync, constants } from "node:zlib";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const args = process.argv.slice(2);
const outdir = args[0] === "--outdir" && args[1] ? args[1] : join(here, "dist");

rmSync(outdir, { recursive: true, force: true });
const assets = join(outdir, "assets");
mkdirSync(assets, { recursive: true });

const result = await build({
  entryPoints: [join(here, "src", "main.jsx")],
  bundle: true,
  minify: true,
  sourcemap: false,
  outdir: assets,
  entryNames: "index.[hash]",
  metafile: true,
  target: ["chrome100", "firefox100", "safari15"],
  jsx: "automatic",
  loader: { ".svg": "text" },
  define: { "process.env.NODE_ENV": '"production"' },
  legalComments: "none",
  logLevel: "warning",
});

const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
const js = outputs.find((n) => n.endsWith(".js"));
const css = outputs.find((n) => n.endsWith(".css"));
if (!js || !css) throw new Error(`esbuild wrote no index.*.js or no index.*.css: ${outputs.join(", ")}`);

const html = readFileSync(join(here, "src", "index.html"), "utf8").replace("@JS@", js).replace("@CSS@", css);
writeFileSync(join(outdir, "index.html"), html);
copyFileSync(join(here, "src", "favicon.svg"), join(outdir, "favicon.svg"));

for (const file of [join(outdir, "index.html"), join(outdir, "favicon.svg"), ...readdirSync(assets).map((n) => join(assets, n))]) {
  writeFileSync(`${file}.gz`, gzipSync(readFileSync(file), { level: constants.Z_BEST_COMPRESSION }));
}
console.log(`built ${outdir}: assets/${js}, assets/${css}`);
