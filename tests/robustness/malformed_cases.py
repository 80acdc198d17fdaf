"""The catalogue of malformed (and borderline) responses the client is tested against.

One list, :data:`CASES`, feeds the robustness tests (scripted, split at every byte, random
splits, live loopback) and ``gen_malformed_doc.py``, which writes ``docs/malformed.md``.

Cases come from RFC 9112 §2–§8 (and RFC 9110 where it decides) and from the kinds of input the
test suites of well-known HTTP parsers exercise: h11's ``test_io.py``/``test_connection.py``
(bad status lines, whitespace before the colon, obs-fold at the start, conflicting
Content-Length, bad chunk headers and footers, oversized heads), llhttp's ``test/response``
files (invalid versions, spaces, bad characters in tokens and values, chunk sizes with
overflow or junk, missing CRLF after chunk data, Transfer-Encoding in HTTP/1.0) and curl's
test cases (HTTP/0.9 bodies, truncated heads and bodies, 101 without Upgrade, huge headers).
The cases are written from that knowledge, not copied.

Every case is what a server sends before closing the connection.  ``kind`` says what the
client must do:

* ``"malformed"``: end in CONNECTION_ERROR with a message containing every ``keywords`` entry,
  after handing out exactly ``body_before`` (the good body bytes before the fault), and never
  report the response as complete;
* ``"refused"``: the same, although RFC 9112 would allow the message (an h11 limitation, kept
  visible here rather than hidden);
* ``"tolerated"``: RFC 9110/9112 allow a recipient to accept it, and the client does, ending
  CONNECTED or DISCONNECTED with ``body_before`` as the complete body.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CASES", "Case", "by_name"]

OK_HEAD = b"HTTP/1.1 200 OK\r\n"
CHUNKED = OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n"


@dataclass(frozen=True)
class Case:
    name: str
    group: str
    wire: bytes
    rfc: str
    what: str
    keywords: tuple[str, ...] = ()
    kind: str = "malformed"
    body_before: bytes = b""
    method: str = "GET"
    summary: str = ""  # replaces the bytes in the doc when they are too long to show

    def shown(self) -> str:
        if self.summary:
            return self.summary
        text = repr(self.wire)[2:-1]
        return text if len(text) <= 70 else text[:67] + "..."


def _status(name: str, line: bytes, what: str, keywords: tuple[str, ...] = ("the status line",),
            rfc: str = "RFC 9112 §4") -> Case:
    return Case(name, "status line", line + b"\r\nContent-Length: 0\r\n\r\n", rfc, what,
                keywords)


def _header(name: str, line: bytes, what: str,
            keywords: tuple[str, ...] = ("a header line is malformed",),
            rfc: str = "RFC 9112 §5") -> Case:
    return Case(name, "header", OK_HEAD + line + b"\r\nContent-Length: 0\r\n\r\n", rfc, what,
                keywords)


def _length(name: str, value: bytes, what: str, keywords: tuple[str, ...] = (
        "invalid Content-Length",)) -> Case:
    return Case(name, "framing", OK_HEAD + b"Content-Length: " + value + b"\r\n\r\nhello",
                "RFC 9112 §6.2, §6.3", what, keywords)


def _coding(name: str, value: bytes, what: str, kind: str = "malformed",
            rfc: str = "RFC 9112 §6.1") -> Case:
    return Case(name, "framing", OK_HEAD + b"Transfer-Encoding: " + value + b"\r\n\r\nhello",
                rfc, what, ("a Transfer-Encoding other than a final 'chunked'",), kind)


def _chunk(name: str, body: bytes, what: str,
           keywords: tuple[str, ...] = ("a chunk of the chunked body is malformed",),
           before: bytes = b"", rfc: str = "RFC 9112 §7.1") -> Case:
    return Case(name, "chunked", CHUNKED + body, rfc, what, keywords, body_before=before)


_TRUNC_HEAD = ("closed the connection before a complete response head",)
_TRUNC_BODY = ("closed the connection", "body")
_BIG_HEADERS = b"".join(b"X-Filler-%05d: %s\r\n" % (i, b"v" * 60) for i in range(1000))

CASES: list[Case] = [
    # -- status line ------------------------------------------------------------------------
    _status("status_garbage", b"garbage", "no status line at all"),
    Case("status_html_instead_of_head", "status line",
         b"<html><body>HTTP/0.9 style: no head</body></html>\r\n\r\n", "RFC 9112 §4, §2.3",
         "an HTTP/0.9-style body with no status line (curl refuses these too)",
         ("the status line",)),
    _status("status_lowercase_http", b"http/1.1 200 OK", "HTTP-name is case-sensitive",
            rfc="RFC 9112 §2.3"),
    _status("status_no_version", b"200 OK", "the HTTP-version is missing"),
    _status("status_two_digit_code", b"HTTP/1.1 20 OK", "status-code has two digits"),
    _status("status_four_digit_code", b"HTTP/1.1 2000 OK", "status-code has four digits"),
    _status("status_non_numeric_code", b"HTTP/1.1 2x0 OK", "status-code is not 3DIGIT"),
    _status("status_missing_space", b"HTTP/1.1200 OK", "no SP between version and code"),
    _status("status_tab_separator", b"HTTP/1.1\t200 OK", "HTAB instead of SP"),
    _status("status_leading_space", b" HTTP/1.1 200 OK", "whitespace before the status line",
            ("does not start with 'HTTP/'", "whitespace")),
    _status("status_version_no_minor", b"HTTP/1 200 OK", "HTTP-version without minor digit",
            rfc="RFC 9112 §2.3"),
    _status("status_version_two_digit_minor", b"HTTP/1.10 200 OK",
            "HTTP-version minor has two digits", rfc="RFC 9112 §2.3"),
    _status("status_major_version_2", b"HTTP/2.0 200 OK",
            "major version 2 on an HTTP/1.1 connection", ("major HTTP version",),
            rfc="RFC 9112 §2.3"),
    _status("status_version_0_9", b"HTTP/0.9 200 OK", "major version 0",
            ("major HTTP version",), rfc="RFC 9112 §2.3"),
    _status("status_nul_in_reason", b"HTTP/1.1 200 O\x00K", "NUL in the reason phrase"),
    _status("status_bare_cr_in_reason", b"HTTP/1.1 200 O\rK", "bare CR in the reason phrase",
            rfc="RFC 9112 §2.2, §4"),
    _status("status_cr_before_crlf", b"HTTP/1.1 200 OK\r", "CR CR LF ending the status line",
            rfc="RFC 9112 §2.2, §4"),
    _status("status_code_below_100", b"HTTP/1.1 099 Weird", "status code outside 100..599",
            ("the status code is not a valid three-digit code",), rfc="RFC 9110 §15"),
    Case("status_empty_line_first", "status line",
         b"\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "RFC 9112 §2.2, §4",
         "an empty line before the status line (tolerated only before a request line)",
         ("does not start with 'HTTP/'", "empty line")),
    Case("unexpected_101", "status line",
         b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
         "RFC 9110 §7.8, §15.2.2", "101 Switching Protocols to a request without Upgrade",
         ("101 Switching Protocols", "no Upgrade")),
    Case("interim_with_body", "status line",
         b"HTTP/1.1 100 Continue\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 200 OK\r\n"
         b"Content-Length: 0\r\n\r\n", "RFC 9110 §15.2",
         "a 1xx response with a body: its bytes are read as the next status line",
         ("the status line",)),
    # -- header section ---------------------------------------------------------------------
    _header("header_space_before_colon", b"Content-Length : 5",
            "whitespace between field-name and colon", rfc="RFC 9112 §5.1"),
    _header("header_no_colon", b"NoColonHere", "a field line without a colon"),
    _header("header_empty_name", b": value", "an empty field-name"),
    _header("header_space_in_name", b"Bad Name: x", "SP inside the field-name (not a token)"),
    _header("header_delimiter_in_name", b"X(Y): z", "'(' is a delimiter, not a tchar",
            rfc="RFC 9110 §5.1, §5.6.2"),
    _header("header_utf8_name", "Ñame: x".encode(), "non-ASCII bytes in the field-name",
            rfc="RFC 9110 §5.1"),
    _header("header_nul_in_value", b"X-Data: a\x00b", "NUL in a field value",
            rfc="RFC 9110 §5.5"),
    _header("header_bare_cr_in_value", b"X-Data: a\rb", "bare CR inside a field value",
            rfc="RFC 9110 §5.5, RFC 9112 §2.2"),
    _header("header_fold_at_start", b" X-Folded: y",
            "obs-fold continuation line with no field before it",
            ("indented continuation line",),
            rfc="RFC 9112 §5.2"),
    # -- framing ----------------------------------------------------------------------------
    Case("content_length_conflicting", "framing",
         OK_HEAD + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello", "RFC 9112 §6.3",
         "two different Content-Length fields", ("conflicting Content-Length",)),
    _length("content_length_list_conflicting", b"5, 6", "a Content-Length list with different "
            "values", ("conflicting Content-Length",)),
    _length("content_length_negative", b"-1", "a negative Content-Length"),
    _length("content_length_non_numeric", b"abc", "a Content-Length that is not digits"),
    _length("content_length_plus_sign", b"+5", "a sign before the digits"),
    _length("content_length_hex", b"0x5", "a hexadecimal Content-Length"),
    _length("content_length_inner_space", b"1 0", "SP between digits"),
    _length("content_length_empty", b"", "an empty Content-Length"),
    _length("content_length_overflow", b"1" + b"0" * 20, "21 digits (beyond any sane length)"),
    _coding("te_chunked_twice", b"chunked, chunked", "chunked applied twice"),
    Case("te_chunked_twice_lines", "framing",
         OK_HEAD + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
         "RFC 9112 §6.1", "chunked applied twice, in two field lines",
         ("a Transfer-Encoding other than a final 'chunked'",)),
    _coding("te_identity", b"identity", "'identity' is no longer a transfer coding "
            "(RFC 7230 removed it)"),
    _coding("te_empty", b"", "an empty Transfer-Encoding"),
    Case("te_in_http10", "framing",
         b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
         "RFC 9112 §6.1", "Transfer-Encoding in an HTTP/1.0 response: framing is faulty",
         ("HTTP/1.0 response carries Transfer-Encoding", "faulty")),
    # -- chunked body -----------------------------------------------------------------------
    _chunk("chunk_size_not_hex", b"zz\r\nhello\r\n0\r\n\r\n", "chunk-size is not HEXDIG"),
    _chunk("chunk_size_negative", b"-5\r\nhello\r\n0\r\n\r\n", "a sign before chunk-size"),
    _chunk("chunk_size_0x_prefix", b"0x5\r\nhello\r\n0\r\n\r\n", "a 0x prefix on chunk-size"),
    _chunk("chunk_size_leading_space", b" 5\r\nhello\r\n0\r\n\r\n",
           "whitespace before chunk-size"),
    _chunk("chunk_size_overflow", b"1" + b"0" * 20 + b"\r\nhello\r\n0\r\n\r\n",
           "a 21-digit chunk-size (integer overflow in many parsers)"),
    _chunk("chunk_size_empty_line", b"\r\nhello\r\n0\r\n\r\n", "an empty chunk-size line"),
    _chunk("chunk_data_too_long", b"5\r\nhelloXX\r\n0\r\n\r\n",
           "more data than chunk-size announced", ("not followed by CRLF",), b"hello"),
    _chunk("chunk_data_missing_crlf", b"5\r\nhello0\r\n\r\n", "no CRLF after the chunk data",
           ("not followed by CRLF",), b"hello"),
    _chunk("chunk_bad_trailer", b"3\r\nabc\r\n0\r\nNo Colon\r\n\r\n",
           "a trailer line without a colon", ("a header line is malformed",), b"abc",
           "RFC 9112 §7.1.2"),
    _chunk("chunk_nul_in_trailer", b"0\r\nX-Sum: a\x00\r\n\r\n", "NUL in a trailer value",
           ("a header line is malformed",), rfc="RFC 9112 §7.1.2"),
    _chunk("chunk_size_bare_lf", b"5\nhello\n0\n\n",
           "chunk lines ended by bare LF: the chunk-size line never ends", _TRUNC_BODY),
    # -- truncation -------------------------------------------------------------------------
    Case("empty_response", "truncation", b"", "RFC 9112 §8",
         "the server closes without sending anything", (*_TRUNC_HEAD, "0 bytes")),
    Case("truncated_status_line", "truncation", b"HTTP/1.1 200 O", "RFC 9112 §8",
         "closed in the middle of the status line", (*_TRUNC_HEAD, "14 bytes")),
    Case("truncated_head", "truncation", OK_HEAD + b"Content-Length: 5\r\n", "RFC 9112 §8",
         "closed before the empty line that ends the head", _TRUNC_HEAD),
    Case("truncated_head_inside_crlf", "truncation", OK_HEAD + b"Content-Length: 5\r\n\r",
         "RFC 9112 §8", "closed between the CR and the LF of the final CRLF", _TRUNC_HEAD),
    Case("truncated_after_interim", "truncation", b"HTTP/1.1 100 Continue\r\n\r\n",
         "RFC 9112 §8", "closed after a 1xx, before the final response", _TRUNC_HEAD),
    Case("content_length_body_short", "truncation",
         OK_HEAD + b"Content-Length: 10\r\n\r\nhello", "RFC 9112 §6.3, §8",
         "5 of 10 announced body bytes, then close",
         ("5 body bytes of the 10 announced by Content-Length", "5 missing"),
         body_before=b"hello"),
    Case("content_length_body_missing", "truncation", OK_HEAD + b"Content-Length: 10\r\n\r\n",
         "RFC 9112 §6.3, §8", "no body at all, then close",
         ("0 body bytes of the 10 announced",)),
    _chunk("chunked_no_last_chunk", b"5\r\nhello\r\n", "closed before the last-chunk",
           (*_TRUNC_BODY, "5 body bytes arrived"), b"hello", "RFC 9112 §7.1, §8"),
    _chunk("chunked_mid_chunk", b"a\r\nhello", "closed in the middle of chunk data",
           (*_TRUNC_BODY, "5 body bytes arrived"), b"hello", "RFC 9112 §7.1, §8"),
    _chunk("chunked_mid_size_line", b"5\r\nhello\r\n1", "closed in a chunk-size line",
           (*_TRUNC_BODY, "5 body bytes arrived"), b"hello", "RFC 9112 §7.1, §8"),
    _chunk("chunked_cr_after_data", b"5\r\nhello\r", "closed between CR and LF after data",
           (*_TRUNC_BODY, "5 body bytes arrived"), b"hello", "RFC 9112 §7.1, §8"),
    _chunk("chunked_no_final_crlf", b"0\r\n", "closed after the last-chunk, before the "
           "final CRLF", _TRUNC_BODY, rfc="RFC 9112 §7.1, §8"),
    _chunk("chunked_in_trailers", b"0\r\nX-Sum: 1\r\n", "closed inside the trailer section",
           _TRUNC_BODY, rfc="RFC 9112 §7.1.2, §8"),
    # -- resource limits --------------------------------------------------------------------
    Case("head_too_large", "resource",
         OK_HEAD + _BIG_HEADERS + b"Content-Length: 0\r\n\r\n", "RFC 9112 §2.3",
         "a 78 KB head (1000 fields): over the 64 KiB head limit", ("larger than 65536",),
         summary="HTTP/1.1 200 OK + 1000 fields of 78 bytes + Content-Length: 0"),
    Case("header_line_100k", "resource",
         OK_HEAD + b"X-Huge: " + b"h" * 102400 + b"\r\nContent-Length: 0\r\n\r\n",
         "RFC 9112 §2.3", "one 100 KiB field line", ("larger than 65536",),
         summary="HTTP/1.1 200 OK + 'X-Huge: ' + 100 KiB of 'h' + CRLF CRLF"),
    Case("trailer_section_too_large", "resource",
         CHUNKED + b"2\r\nok\r\n0\r\nX-Big: " + b"t" * 70000 + b"\r\n\r\n",
         "RFC 9112 §2.3, §7.1.2", "a 70 KB trailer section", ("larger than 65536",),
         body_before=b"ok",
         summary="chunked 'ok', then a trailer 'X-Big: ' + 70 000 bytes, never accepted"),
    # -- refused although RFC 9112 allows it (h11 limitations) ---------------------------------
    _coding("te_unknown_coding", b"gzip",
            "an unknown coding without chunked: RFC 9112 §6.3 item 4 says read until close; "
            "h11 refuses it", "refused", rfc="RFC 9112 §6.1, §6.3"),
    _coding("te_chunked_not_last", b"chunked, gzip", "chunked not last: RFC 9112 §6.3 item 4 "
            "says read until close; h11 refuses it", "refused", rfc="RFC 9112 §6.1, §6.3"),
    Case("chunk_ext_bad_whitespace", "chunked", CHUNKED + b"5 ;ext=1\r\nhello\r\n0\r\n\r\n",
         "RFC 9112 §7.1.1", "BWS before ';' is allowed by the chunk-ext grammar; h11 refuses it",
         ("a chunk of the chunked body is malformed",), "refused"),
    # -- tolerated (RFC lets a recipient accept these) ----------------------------------------
    Case("content_length_duplicate_same", "framing",
         OK_HEAD + b"Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", "RFC 9110 §8.6",
         "repeated identical Content-Length (may be accepted)", kind="tolerated",
         body_before=b"hello"),
    Case("content_length_list_same", "framing", OK_HEAD + b"Content-Length: 5, 5\r\n\r\nhello",
         "RFC 9110 §8.6", "an identical Content-Length list (may be accepted)",
         kind="tolerated", body_before=b"hello"),
    Case("te_and_content_length", "framing",
         OK_HEAD + b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n5\r\nhello\r\n"
         b"0\r\n\r\n", "RFC 9112 §6.3 item 3",
         "both fields: read as chunked (Transfer-Encoding overrides Content-Length), then "
         "the connection is closed, not reused", kind="tolerated",
         body_before=b"hello"),
    Case("header_ctl_in_value", "header", OK_HEAD + b"X-Data: a\x01b\r\nContent-Length: 0"
         b"\r\n\r\n", "RFC 9110 §5.5",
         "a CTL other than CR/LF/NUL in a value (recipients MAY retain it)", kind="tolerated"),
    Case("header_empty_value", "header", OK_HEAD + b"X-Empty:\r\nContent-Length: 0\r\n\r\n",
         "RFC 9110 §5.5", "an empty field value is valid", kind="tolerated"),
    Case("header_obs_fold", "header",
         OK_HEAD + b"X-Folded: a\r\n\tb\r\nContent-Length: 0\r\n\r\n", "RFC 9112 §5.2",
         "obs-fold inside the head: replaced by SP", kind="tolerated"),
    Case("bare_lf_line_endings", "header", b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
         "RFC 9112 §2.2", "bare LF line terminators in the head (MAY be recognised)",
         kind="tolerated", body_before=b"ok"),
    Case("status_no_reason", "status line", b"HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok",
         "RFC 9112 §4", "no reason phrase (nor its SP): common in the wild", kind="tolerated",
         body_before=b"ok"),
    Case("status_minor_version_2", "status line",
         b"HTTP/1.2 200 OK\r\nContent-Length: 2\r\n\r\nok", "RFC 9110 §6.2",
         "a higher minor version is processed as HTTP/1.1", kind="tolerated",
         body_before=b"ok"),
]


def by_name(name: str) -> Case:
    for case in CASES:
        if case.name == name:
            return case
    raise KeyError(name)
