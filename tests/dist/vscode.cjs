// Driven by tests/dist/vscode.rs: opens the code-server workbench in Debian's chromium through
// playwright-core (never a downloaded browser) and checks the fluxtag extension through the UI.
// Usage: node vscode.cjs CONFIG.json; the config names the workbench URL, the workspace folder,
// the browser, the checks to run and the report file. Every check is run (a failed one leaves a
// screenshot beside the report); the report lists each with ok and a detail; exits 1 when one
// failed.
"use strict";
const fs = require("fs");
const path = require("path");

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const { chromium } = require(config.playwrightCore);
const ws = config.workspace;
const HELMRELEASE = "kubernetes/apps/media/sonarr/app/helmrelease.yaml";
const CRONJOB = "kubernetes/apps/default/backup/app/cronjob.yaml";
const PROWLARR = "kubernetes/apps/media/prowlarr/app/deployment.yaml";
const POLICIES = "kubernetes/apps/flux-system/image-automation/app/image-policies.yaml";
const timeout = config.timeoutMs || 30000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const read = (file) => fs.readFileSync(path.join(ws, file), "utf8");

/** Polls `probe` until it returns a truthy value; throws `what` (and the last value) on timeout. */
async function until(what, probe, ms = timeout) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) return last;
    } catch (error) {
      last = String(error);
    }
    if (Date.now() > end) throw new Error(`${what} (after ${ms} ms; last: ${JSON.stringify(last)})`);
    await sleep(200);
  }
}

/** 1-based line and column of the first `needle` in `text`, plus `offset` characters. */
function locate(text, needle, offset = 0) {
  const index = text.indexOf(needle);
  if (index < 0) throw new Error(`${needle} not in the fixture`);
  const before = text.slice(0, index + offset).split("\n");
  return [before.length, before[before.length - 1].length + 1];
}

function writeSettings(settings) {
  fs.mkdirSync(path.join(ws, ".vscode"), { recursive: true });
  fs.writeFileSync(path.join(ws, ".vscode/settings.json"), JSON.stringify(settings, null, 2));
}

async function main() {
  const browser = await chromium.launch({
    executablePath: config.chromium,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-proxy-server"],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const report = { checks: [], screenshots: [] };
  const activeEditor = ".part.editor .monaco-editor";

  async function visibleText(selector) {
    const element = page.locator(`${selector} >> visible=true`).first();
    return (await element.count()) ? element.innerText() : "";
  }
  /** The active editor's breadcrumbs as a path (`kubernetes/apps/…/helmrelease.yaml`). */
  async function activePath() {
    const crumbs = page.locator(".part.editor .editor-group-container.active .breadcrumbs-control .monaco-breadcrumb-item");
    const parts = (await crumbs.allInnerTexts()).map((t) => t.trim()).filter(Boolean);
    return parts.join("/");
  }
  async function quickInputClosed() {
    await until("quick input closes", async () => !(await page.locator(".quick-input-widget >> visible=true").count()), 10000);
  }
  /** Makes `file` the active editor: its tab when it is open (two files may share a name),
   * else quick open, pressing Enter only once the focused row names the file and its
   * directory (quick open's first rows are recent files until the typed filter applies). The
   * breadcrumbs prove which file became active. */
  async function openOnce(file) {
    for (let i = 0; i < 3; i++) await page.keyboard.press("Escape");
    if ((await activePath()).endsWith(file)) return;
    const base = path.basename(file);
    const tabs = page.locator(`.part.editor .tab[data-resource-name="${base}"] >> visible=true`);
    for (let i = 0; i < (await tabs.count()); i++) {
      await tabs.nth(i).click({ timeout: 3000 });
      const active = await until(`${file}'s tab is active`, async () => (await activePath()).endsWith(file), 3000).catch(() => false);
      if (active) return;
    }
    await page.keyboard.press("Control+P");
    const input = page.locator(".quick-input-widget input >> visible=true");
    await input.waitFor({ timeout: 10000 });
    await input.fill(file);
    const dir = path.dirname(file);
    await until(`quick open focuses ${file}`, async () => {
      if ((await input.inputValue()) !== file) return false;
      const row = page.locator(".quick-input-list .monaco-list-row.focused >> visible=true").first();
      if (!(await row.count())) return false;
      const text = (await row.innerText()).replace(/\s+/g, " ");
      return text.includes(base) && text.includes(dir) && text;
    }, 10000);
    await page.keyboard.press("Enter");
    await quickInputClosed();
    await until(`${file} is the active editor`, async () => (await activePath()).endsWith(file), 10000);
  }
  async function open(file) {
    let failure;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await openOnce(file);
        return;
      } catch (error) {
        failure = error;
      }
    }
    throw failure;
  }
  /** Puts the cursor at `line`:`column` with Go to Line (Ctrl+G); the status bar proves it. */
  async function goToOnce(line, column) {
    await page.keyboard.press("Control+G");
    const input = page.locator(".quick-input-widget input >> visible=true");
    await input.waitFor({ timeout: 10000 });
    await input.fill(`:${line}:${column}`);
    await until(`Go to Line offers ${line}:${column}`, async () => {
      const row = page.locator(".quick-input-list .monaco-list-row >> visible=true").first();
      return (await row.count()) && (await row.innerText()).includes(`line ${line} at column ${column}`);
    }, 10000);
    await page.keyboard.press("Enter");
    await quickInputClosed();
    await until(`the cursor is at Ln ${line}, Col ${column}`, async () =>
      (await page.locator(".statusbar").innerText()).includes(`Ln ${line}, Col ${column}`), 5000);
  }
  async function goTo(line, column) {
    let failure;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await goToOnce(line, column);
        return;
      } catch (error) {
        failure = error;
        for (let i = 0; i < 3; i++) await page.keyboard.press("Escape");
      }
    }
    throw failure;
  }
  async function hoverText(...needles) {
    await page.keyboard.press("Control+K");
    await page.keyboard.press("Control+I");
    return until(`a hover with ${needles.join(", ")}`, async () => {
      const text = await visibleText(".monaco-hover");
      return needles.every((needle) => text.includes(needle)) && text;
    });
  }
  async function editorText() {
    return (await page.locator(`${activeEditor} .view-lines`).first().innerText()).replace(/\u00a0/g, " ");
  }
  /** The Problems panel's row holding every needle (whitespace collapsed; VS Code draws the
   * parentheses of `source(code)` with CSS, so the text reads `fluxtag stale`). */
  async function problemRow(...needles) {
    if (!(await page.locator(".markers-panel >> visible=true").count())) {
      await page.keyboard.press("Control+Shift+M");
    }
    let rows = [];
    try {
      return await until(`a Problems row with ${needles.join(", ")}`, async () => {
        rows = await page.evaluate(() =>
          [...document.querySelectorAll(".markers-panel .monaco-list-row")].map((r) => r.innerText.replace(/\s+/g, " ").trim()));
        return rows.find((row) => needles.every((needle) => row.includes(needle)));
      });
    } catch (error) {
      throw new Error(`${error.message}; rows: ${JSON.stringify(rows)}`);
    }
  }

  /** The text of a notification toast holding every needle (toasts fade; the notification
   * center keeps them). */
  async function notification(...needles) {
    return until(`a notification with ${needles.join(", ")}`, async () => {
      const texts = await page.evaluate(() =>
        [...document.querySelectorAll(".notification-list-item")].map((e) => e.innerText.replace(/\s+/g, " ").trim()));
      return texts.find((text) => needles.every((needle) => text.includes(needle)));
    });
  }

  const checks = {
    // The stale marker of sonarr: a warning squiggle in the editor and its Problems entry.
    async diagnostic() {
      await open(HELMRELEASE);
      await until("a warning squiggle", async () => (await page.locator(`${activeEditor} .squiggly-warning`).count()) > 0);
      const [line, column] = locate(read(HELMRELEASE), "4.0.9");
      const row = await problemRow(
        "4.0.9 is stale: ImagePolicy flux-system/sonarr selects 4.0.11",
        "fluxtag stale",
        `[Ln ${line}, Col ${column}]`,
      );
      return `squiggle and Problems row: ${row}`;
    },
    async inlayHints() {
      await open(HELMRELEASE);
      await until("the inlay hint → 4.0.11", async () => (await editorText()).includes("→ 4.0.11"));
      return "→ 4.0.11 shown";
    },
    async hover() {
      await open(HELMRELEASE);
      const [line, column] = locate(read(HELMRELEASE), "4.0.9", 1);
      await goTo(line, column);
      await hoverText("flux-system/sonarr", "4.0.11", "semver", "ghcr.io/onedr0p/sonarr");
      await page.keyboard.press("Escape");
      return "hover names the policy and 4.0.11";
    },
    // Issue 11 item 4: `(?P<date>…)` must not lose `<date>` (read as HTML by VS Code).
    async hoverPattern() {
      await open(CRONJOB);
      const [line, column] = locate(read(CRONJOB), "flux-system:backup", 2);
      await goTo(line, column);
      const text = await hoverText("(?P<date>[0-9]{8})");
      await page.keyboard.press("Escape");
      return text.split("\n").find((l) => l.includes("(?P<date>")) || text;
    },
    // F12 on the marker lands on the policy's `metadata.name` in image-policies.yaml.
    async definition() {
      await open(HELMRELEASE);
      const [line, column] = locate(read(HELMRELEASE), "flux-system:sonarr:tag", 2);
      await goTo(line, column);
      await page.keyboard.press("F12");
      const policies = "kubernetes/apps/flux-system/image-automation/app/image-policies.yaml";
      const [target] = locate(read(policies), "name: sonarr");
      await until("go to definition opens image-policies.yaml", async () => (await activePath()).endsWith(policies));
      const status = await until(`the cursor is on line ${target}`, async () => {
        const text = await page.locator(".statusbar").innerText();
        return text.includes(`Ln ${target}, Col`) && text;
      }, 10000);
      return `${policies} ${status.match(/Ln \d+, Col \d+/)}`;
    },
    async completion() {
      await open(PROWLARR);
      const [line, column] = locate(read(PROWLARR), 'flux-system:prowlar"', "flux-system:prow".length);
      await goTo(line, column);
      await page.keyboard.press("Control+Space");
      const text = await until("completion offers flux-system:prowlarr", async () => {
        const t = await visibleText(".suggest-widget");
        return t.includes("flux-system:prowlarr") && t;
      });
      await page.keyboard.press("Escape");
      return text.split("\n").slice(0, 4).join(" | ");
    },
    // Issue 13: the "Explain" lens on an ImagePolicy opens the explanation beside the editor.
    async explainLens() {
      await open(POLICIES);
      const lens = page.locator(`${activeEditor} .codelens-decoration a`, { hasText: "Explain flux-system/sonarr" }).first();
      await lens.waitFor({ timeout });
      await lens.click();
      const text = await until("an explanation document with the ranking", async () => {
        const texts = await page.evaluate(() =>
          [...document.querySelectorAll(".part.editor .monaco-editor .view-lines")].map((e) => e.innerText.replace(/\u00a0/g, " ")));
        return texts.find((t) => t.includes("flux-system:sonarr") && t.includes("selected    4.0.11  (decided by: ranking)"));
      });
      // Close it, so the checks after this one see the single editor group they expect.
      const tab = page.locator(".part.editor .tab", { hasText: "fluxtag explain flux-system:sonarr" }).first();
      await tab.hover();
      await tab.locator(".tab-actions .action-label").first().click();
      await until("the explanation's tab closes", async () =>
        !(await page.locator(".part.editor .tab", { hasText: "fluxtag explain" }).count()), 10000);
      return text.split("\n").filter((l) => l.includes("selected") || l.includes("rule")).join(" | ");
    },
    // The quick fix, saved: the file differs from before in exactly the value.
    async quickFix() {
      const before = read(HELMRELEASE);
      await open(HELMRELEASE);
      const [line, column] = locate(before, "4.0.9", 1);
      await goTo(line, column);
      await page.keyboard.press("Control+.");
      const row = page.locator(".action-widget .monaco-list-row >> visible=true", { hasText: "Update to 4.0.11" }).first();
      await row.waitFor({ timeout });
      await row.click();
      await until("the editor shows tag: 4.0.11", async () => (await editorText()).includes("tag: 4.0.11 #"));
      await page.keyboard.press("Control+S");
      const expected = before.replace("tag: 4.0.9 #", "tag: 4.0.11 #");
      await until("the saved file changed in exactly the value", async () => read(HELMRELEASE) === expected, 10000);
      return "tag: 4.0.9 → 4.0.11, nothing else";
    },
    // `source.fixAll.fluxtag` on save when enabled in editor.codeActionsOnSave.
    async fixAllOnSave() {
      const before = read(CRONJOB);
      writeSettings({ ...config.settings, "editor.codeActionsOnSave": { "source.fixAll.fluxtag": "explicit" } });
      await sleep(1500); // the workbench reads the changed settings file
      await open(CRONJOB);
      await until("the backup marker is stale", async () => (await page.locator(`${activeEditor} .squiggly-warning`).count()) > 0);
      await page.keyboard.press("Control+Home");
      await page.keyboard.type("# saved");
      await page.keyboard.press("Enter");
      await page.keyboard.press("Control+S");
      const expected = "# saved\n" + before.replace("main-20241101-3f2a9c1", "main-20241120-c0ffee1");
      await until("the saved file has the fix", async () => read(CRONJOB) === expected, 15000);
      return "saved with main-20241120-c0ffee1";
    },
    // A changed fluxtag.tagsFrom takes effect without a restart.
    async tagsFromChange() {
      const tags = JSON.parse(read("tags.json"));
      tags["ghcr.io/onedr0p/sonarr"].push("4.0.13");
      fs.writeFileSync(path.join(ws, "tags-next.json"), JSON.stringify(tags));
      writeSettings({ ...config.settings, "fluxtag.tagsFrom": "tags-next.json" });
      await open(HELMRELEASE);
      const current = read(HELMRELEASE).includes("tag: 4.0.11 #") ? "4.0.11" : "4.0.9";
      await until("the inlay hint → 4.0.13", async () => (await editorText()).includes("→ 4.0.13"));
      await problemRow(`${current} is stale: ImagePolicy flux-system/sonarr selects 4.0.13`, "fluxtag stale");
      return `${current} now stale against 4.0.13`;
    },
    // `fluxtag.server.path` names no file: an error notification says so and what to do.
    async serverMissing() {
      await open(HELMRELEASE); // the extension activates on the first YAML file
      return notification("fluxtag: no language server", "does not exist", "fluxtag.server.path");
    },
    // A server that answers `initialize` with an old `serverInfo.version`: an error names it.
    async serverTooOld() {
      writeSettings({ ...config.settings, "fluxtag.server.path": config.oldServer });
      return notification("is version 0.0.1", "needs fluxtag 0.1.0 or newer");
    },
  };

  try {
    await page.goto(config.url, { timeout: 60000 });
    await page.locator(".monaco-workbench").waitFor({ timeout: 60000 });
    await page.locator(".explorer-folders-view, .explorer-viewlet").first().waitFor({ timeout: 60000 }).catch(() => {});
    for (const name of config.checks) {
      const started = Date.now();
      try {
        const detail = await checks[name]();
        report.checks.push({ name, ok: true, detail, ms: Date.now() - started });
        console.error(`ok ${name}: ${detail}`);
      } catch (error) {
        const shot = path.join(config.outDir, `failure-${name}.png`);
        await page.screenshot({ path: shot }).catch(() => {});
        report.screenshots.push(shot);
        report.checks.push({ name, ok: false, detail: String(error && error.message || error), ms: Date.now() - started });
        console.error(`FAILED ${name}: ${error && error.message || error}`);
        console.error(await page.evaluate(() => {
          const tab = document.querySelector(".tab.active");
          const squiggles = [...document.querySelectorAll("[class*=squiggly]")].map((e) => e.className);
          const editor = document.querySelector(".monaco-editor");
          return JSON.stringify({ tab: tab && tab.outerHTML.slice(0, 300), squiggles, editor: editor && editor.className,
            groups: [...document.querySelectorAll("[class*=editor-group-container]")].map((e) => e.className) });
        }).catch((e) => String(e)));
        for (let i = 0; i < 3; i++) await page.keyboard.press("Escape").catch(() => {});
      }
    }
  } catch (error) {
    const shot = path.join(config.outDir, "failure-workbench.png");
    await page.screenshot({ path: shot }).catch(() => {});
    report.screenshots.push(shot);
    report.checks.push({ name: "workbench", ok: false, detail: String(error && error.message || error) });
  } finally {
    fs.writeFileSync(config.report, JSON.stringify(report, null, 2));
    await browser.close();
  }
  process.exit(report.checks.every((c) => c.ok) ? 0 : 1);
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
