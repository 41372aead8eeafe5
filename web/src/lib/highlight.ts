// Syntax highlighting with Shiki, loaded the first time code is shown (not in the page's initial
// JavaScript); each language's grammar loads when first needed. It runs on Shiki's JavaScript
// regex engine: the page's Content-Security-Policy allows no WebAssembly compilation. Output
// carries both themes' colours as CSS variables, so switching the theme needs no new highlighting.
import type { Highlighter } from "shiki";

let highlighter: Promise<Highlighter> | null = null;

function load(): Promise<Highlighter> {
  highlighter ??= import("shiki").then(({ createHighlighter, createJavaScriptRegexEngine }) =>
    createHighlighter({ themes: ["github-dark-default", "github-light-default"], langs: [], engine: createJavaScriptRegexEngine() }),
  );
  return highlighter;
}

/** Highlighted HTML for `code` (Shiki escapes it); `tag` is a fence tag or a file extension. */
export async function highlight(code: string, tag: string | undefined): Promise<string> {
  const [shiki, { bundledLanguages }] = await Promise.all([load(), import("shiki")]);
  const name = (tag ?? "").toLowerCase();
  let lang = "text";
  if (name in bundledLanguages) {
    await shiki.loadLanguage(name as keyof typeof bundledLanguages);
    lang = name;
  }
  return shiki.codeToHtml(code, { lang, themes: { dark: "github-dark-default", light: "github-light-default" }, defaultColor: false });
}
