// The fluxtag VS Code extension: starts `fluxtag lsp` for YAML files and passes the
// `fluxtag.*` settings as initialization options (and again on every change).
//
// The binary comes from the `fluxtag.server.path` setting, else the copy bundled at
// `server/fluxtag[.exe]`, else `fluxtag` on PATH.

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from "vscode-languageclient/node";

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

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const command = serverPath(context);
  const serverOptions: ServerOptions = {
    run: { command, args: ["lsp"] },
    debug: { command, args: ["lsp"] },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: "yaml" }],
    initializationOptions: settings(),
    // `fluxtag.trace.server` is read by the client itself (its id is `fluxtag`).
  };
  client = new LanguageClient("fluxtag", "fluxtag", serverOptions, clientOptions);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (!client) {
        return;
      }
      if (event.affectsConfiguration("fluxtag.server.path")) {
        await client.stop();
        client = new LanguageClient("fluxtag", "fluxtag", {
          run: { command: serverPath(context), args: ["lsp"] },
          debug: { command: serverPath(context), args: ["lsp"] },
        }, clientOptions);
        await client.start();
      } else if (event.affectsConfiguration("fluxtag")) {
        await client.sendNotification("workspace/didChangeConfiguration", {
          settings: { fluxtag: settings() },
        });
      }
    }),
  );
  try {
    await client.start();
  } catch (error) {
    void vscode.window.showErrorMessage(
      `fluxtag: cannot start the language server (${command} lsp): ${error}. ` +
        "Install fluxtag or set fluxtag.server.path.",
    );
  }
}

export async function deactivate(): Promise<void> {
  if (client) {
    await client.stop();
    client = undefined;
  }
}
