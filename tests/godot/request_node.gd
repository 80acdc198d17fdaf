# Godot 3.2's HTTPRequest node, run by the real engine over a list of cases.  Started by
# godotkit.py as:
#     godot3-server -s request_node.gd --case-file CASES.json --out RESULTS.jsonl
# CASES.json: {"base": "http://127.0.0.1:PORT", "headers": [...], "dir": DOWNLOADS,
#              "cases": [{"id", "path", "max_redirects", "body_size_limit", "download",
#                         "timeout", "use_threads"}, ...]}
# Each case gets a fresh node in the scene tree; the script waits for request_completed (the
# engine runs its frames) and writes one JSON line: the result's name, code, headers, body and
# the downloaded file, all in hex.
extends SceneTree

var finished = false

func result_name(value):
    for name in ClassDB.class_get_integer_constant_list("HTTPRequest"):
        if name.begins_with("RESULT_") and ClassDB.class_get_integer_constant("HTTPRequest", name) == value:
            return name.substr(7, name.length() - 7)
    return str(value)

func arg_after(name):
    var args = OS.get_cmdline_args()
    for i in range(args.size() - 1):
        if args[i] == name:
            return args[i + 1]
    return ""

func run_case(config, case):
    var node = HTTPRequest.new()
    node.max_redirects = int(case["max_redirects"])
    node.body_size_limit = int(case["body_size_limit"])
    node.timeout = float(case["timeout"])
    node.use_threads = bool(case["use_threads"])
    var file_path = ""
    if case["download"]:
        file_path = config["dir"] + "/" + case["id"].replace("/", "_") + ".bin"
        node.download_file = file_path
    get_root().add_child(node)
    var err = node.request(config["base"] + case["path"], config["headers"], false, HTTPClient.METHOD_GET, "")
    var out = {"id": case["id"], "request_err": err, "result": "", "code": 0, "headers": [],
               "body_hex": "", "file_hex": ""}
    if err == OK:
        var args = yield(node, "request_completed")
        out["result"] = result_name(args[0])
        out["code"] = args[1]
        out["headers"] = Array(args[2])
        out["body_hex"] = args[3].hex_encode()
        if file_path != "":
            var f = File.new()
            if f.open(file_path, File.READ) == OK:
                out["file_hex"] = f.get_buffer(f.get_len()).hex_encode()
                f.close()
    node.queue_free()
    return out

func run_all():
    # Let the main loop start, so that nodes process and yields resume.
    yield(self, "idle_frame")
    var f = File.new()
    if f.open(arg_after("--case-file"), File.READ) != OK:
        printerr("cannot read the case file")
        quit(2)
        return
    var config = parse_json(f.get_as_text())
    f.close()
    var out = File.new()
    if out.open(arg_after("--out"), File.WRITE) != OK:
        printerr("cannot write the results file")
        quit(2)
        return
    for case in config["cases"]:
        var state = run_case(config, case)
        if state is GDScriptFunctionState:
            state = yield(state, "completed")
        out.store_line(to_json(state))
    out.close()
    finished = true
    quit(0)

func _init():
    run_all()
