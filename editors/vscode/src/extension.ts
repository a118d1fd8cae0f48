// The fluxtag VS Code extension: starts `fluxtag lsp` for YAML files and passes the
// `fluxtag.*` settings as initialization options (and again on every change). The command
// `fluxtag.explain` (the server's "Explain" code lens, or the command palette at the cursor)
// asks the server for `fluxtag/explain` and shows the text in a read-only document beside.
//
// The binary comes from the `fluxtag.server.path` setting, else the copy bundled at
// `server/fluxtag[.exe]`, else `fluxtag` on PATH. A binary that cannot be found, or a server
// older than MINIMUM_SERVER_VERSION (from the `serverInfo` of its initialize result), gets an
// error message saying what to do instead of a silently missing feature.

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from "vscode-languageclient/node";

/** The oldest `fluxtag lsp` whose protocol (settings, commands, fixes) this extension speaks. */
export const MINIMUM_SERVER_VERSION = "0.1.0";

let client: LanguageClient | undefined;

/** The server binary, in the documented order. */
export function serverPath(context: vscode.ExtensionContext): string {
  const configured = vscode.workspace
    .getConfiguration("fluxtag")
    .get<string | null>("server.path");
  if (configured) {
    return configured.startsWith("~/")
      ? path.join(os.homedir(), configured.slice(2))
      : configured;
  }
  const name = process.platform === "win32" ? "fluxtag.exe" : "fluxtag";
  const bundled = context.asAbsolutePath(path.join("server", name));
  if (fs.existsSync(bundled)) {
    return bundled;
  }
  return name; // resolved through PATH when spawned
}

/** Why `command` cannot be run (missing file, or a bare name on no PATH directory), or `undefined`. */
export function missingServer(command: string): string | undefined {
  const executable = (file: string): boolean => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  };
  if (path.isAbsolute(command) || command.includes(path.sep)) {
    return executable(command) ? undefined : `${command} does not exist or is not executable`;
  }
  const dirs = (process.env.PATH ?? "").split(path.delimiter).filter(Boolean);
  return dirs.some((dir) => executable(path.join(dir, command)))
    ? undefined
    : `${command} is not bundled with the extension and not on PATH`;
}

/** Whether version `actual` (`1.2.3`, maybe with a suffix) is at least `minimum`. */
export function versionAtLeast(actual: string, minimum: string): boolean {
  const parts = (v: string) => (v.match(/^\d+(\.\d+)*/)?.[0] ?? "").split(".").map(Number);
  const a = parts(actual);
  const m = parts(minimum);
  if (!/^\d/.test(actual)) return false;
  for (let i = 0; i < Math.max(a.length, m.length); i++) {
    const x = a[i] ?? 0;
    const y = m[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/** The server settings: the `fluxtag.*` keys the server reads. */
function settings(): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration("fluxtag");
  return {
    tagsFrom: config.get("tagsFrom") ?? null,
    offline: config.get("offline") ?? false,
    cacheDir: config.get("cacheDir") ?? null,
    severity: config.get("severity") ?? {},
  };
}

const INSTALL_HINT =
  "Install fluxtag (`cargo install --locked --path .` in its repository, or the release's " +
  "wheel or tarball) or set fluxtag.server.path.";

/** An error message with a button to the `fluxtag.server.path` setting. */
function complain(message: string): void {
  void vscode.window
    .showErrorMessage(`fluxtag: ${message} ${INSTALL_HINT}`, "Open Settings")
    .then((choice) => {
      if (choice) {
        void vscode.commands.executeCommand("workbench.action.openSettings", "fluxtag.server.path");
      }
    });
}

/** Starts a client for the configured server, or says why it cannot. */
async function start(context: vscode.ExtensionContext): Promise<void> {
  const command = serverPath(context);
  const missing = missingServer(command);
  if (missing) {
    complain(`no language server: ${missing}.`);
    return;
  }
  const serverOptions: ServerOptions = {
    run: { command, args: ["lsp"] },
    debug: { command, args: ["lsp"] },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: "yaml" }],
    initializationOptions: settings(),
    // `fluxtag.trace.server` is read by the client itself (its id is `fluxtag`).
  };
  const started = new LanguageClient("fluxtag", "fluxtag", serverOptions, clientOptions);
  client = started;
  try {
    await started.start();
  } catch (error) {
    complain(`cannot start the language server (${command} lsp): ${error}.`);
    return;
  }
  const info = started.initializeResult?.serverInfo;
  const version = info?.version;
  if (info?.name !== "fluxtag" || !version || !versionAtLeast(version, MINIMUM_SERVER_VERSION)) {
    const found =
      info?.name !== "fluxtag"
        ? `not fluxtag (its serverInfo names ${info?.name ?? "nothing"})`
        : version
          ? `version ${version}`
          : "of no stated version";
    client = undefined;
    await started.stop().catch(() => undefined);
    complain(
      `the language server ${command} is ${found}; this extension needs fluxtag ` +
        `${MINIMUM_SERVER_VERSION} or newer.`,
    );
  }
}

/** Where `fluxtag/explain` is asked: a document and a position (LSP types). */
interface ExplainParams {
  textDocument: { uri: string };
  position: { line: number; character: number };
}

/** The URI scheme of the read-only explanation documents. */
const EXPLAIN_SCHEME = "fluxtag-explain";

/** The texts of the explanation documents, by URI. */
const explanations = new Map<string, string>();
const explanationChanged = new vscode.EventEmitter<vscode.Uri>();

/** `fluxtag.explain`: the explanation at `params` (the lens's argument) or at the cursor. */
async function explain(params?: ExplainParams): Promise<void> {
  if (!client) {
    void vscode.window.showErrorMessage("fluxtag: the language server is not running.");
    return;
  }
  let at = params;
  if (!at) {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage("fluxtag: open a YAML file and put the cursor on a marker or an ImagePolicy.");
      return;
    }
    at = client.code2ProtocolConverter.asTextDocumentPositionParams(editor.document, editor.selection.active);
  }
  const result = await client.sendRequest<{ title: string; text: string } | null>("fluxtag/explain", at);
  if (!result) {
    void vscode.window.showInformationMessage("fluxtag: no marker or ImagePolicy here to explain.");
    return;
  }
  // Slashes would make path segments of the title; the tab shows the last one.
  const uri = vscode.Uri.from({ scheme: EXPLAIN_SCHEME, path: "/" + result.title.replace(/\//g, "\u2215") });
  explanations.set(uri.toString(), result.text);
  explanationChanged.fire(uri);
  const document = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preview: true });
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(EXPLAIN_SCHEME, {
      onDidChange: explanationChanged.event,
      provideTextDocumentContent: (uri) => explanations.get(uri.toString()) ?? "",
    }),
    vscode.commands.registerCommand("fluxtag.explain", explain),
  );
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("fluxtag.server.path")) {
        const old = client;
        client = undefined;
        await old?.stop().catch(() => undefined);
        await start(context);
      } else if (client && event.affectsConfiguration("fluxtag")) {
        await client.sendNotification("workspace/didChangeConfiguration", {
          settings: { fluxtag: settings() },
        });
      }
    }),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  if (client) {
    await client.stop();
    client = undefined;
  }
}
