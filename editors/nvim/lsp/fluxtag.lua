-- fluxtag language server for Neovim 0.11+: diagnostics, hovers, quick fixes, completion,
-- go-to-definition, references and inlay hints for Flux `$imagepolicy` markers.
--
-- Put this file on 'runtimepath' as lsp/fluxtag.lua (for example copy it to
-- ~/.config/nvim/lsp/fluxtag.lua), then in init.lua:
--
--   vim.lsp.enable('fluxtag')
--
-- and override what you need, for example:
--
--   vim.lsp.config('fluxtag', {
--     init_options = { tagsFrom = 'tags.json', severity = { stale = 'error' } },
--   })
--
-- It runs beside yaml-language-server on the same buffers and offers no formatting.

---@type vim.lsp.Config
return {
  cmd = { 'fluxtag', 'lsp' },
  filetypes = { 'yaml' },
  root_markers = { '.git' },
  -- Keys: tagsFrom (snapshot file, relative to the root), offline (cache only), cacheDir,
  -- severity (code -> 'error' | 'warning' | 'info' | 'hint' | 'off').
  init_options = vim.empty_dict(),
  settings = vim.empty_dict(),
}
