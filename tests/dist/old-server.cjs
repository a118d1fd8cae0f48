// A stand-in for an old `fluxtag lsp` (tests/dist/vscode.rs, check serverTooOld): it speaks just
// enough of the protocol on stdio to answer `initialize` with `serverInfo` version 0.0.1 (or the
// version in OLD_SERVER_VERSION), then `shutdown` and `exit`. Requests it does not know get an
// empty result.
"use strict";
const version = process.env.OLD_SERVER_VERSION || "0.0.1";
let buffer = Buffer.alloc(0);

function send(message) {
  const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", ...message }), "utf8");
  process.stdout.write(`Content-Length: ${body.length}\r\n\r\n`);
  process.stdout.write(body);
}

process.stdin.on("data", (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  for (;;) {
    const end = buffer.indexOf("\r\n\r\n");
    if (end < 0) return;
    const length = Number(/Content-Length: *(\d+)/i.exec(buffer.slice(0, end).toString())?.[1]);
    if (buffer.length < end + 4 + length) return;
    const message = JSON.parse(buffer.slice(end + 4, end + 4 + length).toString("utf8"));
    buffer = buffer.slice(end + 4 + length);
    if (message.method === "exit") process.exit(0);
    if (message.id === undefined || message.method === undefined) continue;
    const result =
      message.method === "initialize"
        ? { capabilities: {}, serverInfo: { name: "fluxtag", version } }
        : null;
    send({ id: message.id, result });
  }
});
