// Run a Python script in real Pyodide under Node, with wheels unpacked into its file system.
// usage: node run_in_pyodide.mjs PYODIDE_DIR SCRIPT.py WHEEL...
// Nothing is fetched from the network: only the Pyodide core in PYODIDE_DIR is loaded.
import { readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [pyodideDir, script, ...wheels] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(resolve(pyodideDir, "pyodide.mjs")).href);
const pyodide = await loadPyodide({ indexURL: resolve(pyodideDir) + "/" });
for (const wheel of wheels) {
  pyodide.FS.writeFile("/tmp/" + basename(wheel), readFileSync(wheel));
}
pyodide.globals.set("wheel_names", wheels.map((w) => "/tmp/" + basename(w)));
pyodide.runPython(`
import site, zipfile
for name in wheel_names:
    with zipfile.ZipFile(name) as wheel:
        wheel.extractall(site.getsitepackages()[0])
`);
pyodide.setStdout({ batched: (line) => console.log(line) });
pyodide.setStderr({ batched: (line) => console.error(line) });
pyodide.runPython(readFileSync(script, "utf8"), { filename: basename(script) });
