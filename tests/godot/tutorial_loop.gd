# The seed tutorial's HTTPClient loop (Godot 3 syntax), run by the real engine over a list of
# endpoints.  Started by godotkit.py as:
#     godot3-server -s tutorial_loop.gd --case-file CASES.json --out RESULTS.jsonl
# CASES.json: {"host": ..., "port": ..., "tls_port": ..., "headers": [...], "wait_msec": n,
#              "budget_msec": n, "cases": [{"id": ..., "path": ..., "tls": ""}, ...]}
# A case with "tls" = "verify" or "unsafe" connects to tls_port with TLS, verifying the
# certificate or not (Godot 3's connect_to_host(host, port, use_ssl, verify_host)).
# One JSON line per case goes to RESULTS.jsonl.  The loop is the tutorial's (connect, poll while
# RESOLVING/CONNECTING, request, poll while REQUESTING, has_response, headers as a dictionary,
# chunked or length, poll + read_response_body_chunk while BODY); only the waits are shorter
# (wait_msec instead of 500 ms) and each case has a time budget so a silent server cannot hang
# the run.  Every status change seen after a call is noted, in order.
extends SceneTree

var statuses = []
var http = null
var finished = false

func note():
    var s = http.get_status()
    if statuses.empty() or statuses[statuses.size() - 1] != s:
        statuses.append(s)

func run_case(config, case):
    http = HTTPClient.new()
    statuses = []
    var out = {"id": case["id"], "path": case["path"], "connect_err": -1, "request_err": -1,
               "code": 0, "has_response": false, "has_response_after_headers": false,
               "headers": {}, "chunked": false, "body_length": -1, "body_hex": "",
               "timed_out": false}
    var deadline = OS.get_ticks_msec() + int(config["budget_msec"])
    var wait = int(config["wait_msec"])
    var err = 0
    if case["tls"] == "":
        err = http.connect_to_host(config["host"], int(config["port"]))
    else:
        err = http.connect_to_host(config["host"], int(config["tls_port"]), true, case["tls"] == "verify")
    out["connect_err"] = err
    note()
    while http.get_status() == HTTPClient.STATUS_CONNECTING or http.get_status() == HTTPClient.STATUS_RESOLVING:
        http.poll()
        note()
        OS.delay_msec(wait)
        if OS.get_ticks_msec() > deadline:
            out["timed_out"] = true
            break
    if http.get_status() == HTTPClient.STATUS_CONNECTED:
        err = http.request(HTTPClient.METHOD_GET, case["path"], config["headers"])
        out["request_err"] = err
        note()
        while http.get_status() == HTTPClient.STATUS_REQUESTING:
            http.poll()
            note()
            OS.delay_msec(wait)
            if OS.get_ticks_msec() > deadline:
                out["timed_out"] = true
                break
        out["has_response"] = http.has_response()
        if http.has_response():
            out["headers"] = http.get_response_headers_as_dictionary()
            out["has_response_after_headers"] = http.has_response()
            out["code"] = http.get_response_code()
            out["chunked"] = http.is_response_chunked()
            out["body_length"] = http.get_response_body_length()
            var rb = PoolByteArray()
            while http.get_status() == HTTPClient.STATUS_BODY:
                http.poll()
                note()
                var chunk = http.read_response_body_chunk()
                note()
                if chunk.size() == 0:
                    OS.delay_usec(1000)
                else:
                    rb = rb + chunk
                if OS.get_ticks_msec() > deadline:
                    out["timed_out"] = true
                    break
            out["body_hex"] = rb.hex_encode()
    out["statuses"] = statuses
    out["final"] = http.get_status()
    http.close()
    return out

func arg_after(name):
    var args = OS.get_cmdline_args()
    for i in range(args.size() - 1):
        if args[i] == name:
            return args[i + 1]
    return ""

func _init():
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
        out.store_line(to_json(run_case(config, case)))
    out.close()
    finished = true
    quit(0)

# Reached only if _init stopped on a script error: end the engine instead of idling forever.
func _idle(_delta):
    if finished:
        return
    printerr("tutorial_loop.gd did not finish")
    quit(3)
