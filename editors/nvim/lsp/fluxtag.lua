-- fluxtag language server for Neovim 0.11+: diagnostics, hovers, quick fixes, completion,
-- go-to-definition, references, inlay hints and explanations for Flux `$imagepolicy` markers.
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
-- :FluxtagExplain shows, in a scratch window, why the marker or ImagePolicy at the cursor gets
-- the tag it gets (what `fluxtag explain` prints). Each ImagePolicy also has an "Explain" code
-- lens: show lenses with vim.lsp.codelens.refresh() (e.g. on BufEnter and InsertLeave) and run
-- the one at the cursor with vim.lsp.codelens.run(). An on_attach of your own replaces the one
-- below, which only defines :FluxtagExplain: copy it into yours to keep the command.
--
-- It runs beside yaml-language-server on the same buffers and offers no formatting.

-- Asks the server for the explanation at `params` (a document and a position) and shows it.
local function explain(client, params)
  client:request('fluxtag/explain', params, function(err, result)
    if err then
      vim.notify('fluxtag: ' .. err.message, vim.log.levels.ERROR)
      return
    end
    if not result then
      vim.notify('fluxtag: no marker or ImagePolicy here to explain', vim.log.levels.INFO)
      return
    end
    vim.cmd('botright new')
    local buf = vim.api.nvim_get_current_buf()
    vim.bo[buf].buftype = 'nofile'
    vim.bo[buf].bufhidden = 'wipe'
    vim.bo[buf].swapfile = false
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, vim.split(result.text, '\n', { trimempty = true }))
    vim.bo[buf].modifiable = false
    pcall(vim.api.nvim_buf_set_name, buf, result.title)
  end)
end

---@type vim.lsp.Config
return {
  cmd = { 'fluxtag', 'lsp' },
  filetypes = { 'yaml' },
  root_markers = { '.git' },
  -- Keys: tagsFrom (snapshot file, relative to the root), offline (cache only), cacheDir,
  -- severity (code -> 'error' | 'warning' | 'info' | 'hint' | 'off').
  init_options = vim.empty_dict(),
  settings = vim.empty_dict(),
  -- The command of the "Explain" code lens is the client's: it asks `fluxtag/explain`.
  commands = {
    ['fluxtag.explain'] = function(command, ctx)
      explain(assert(vim.lsp.get_client_by_id(ctx.client_id)), command.arguments[1])
    end,
  },
  on_attach = function(client, bufnr)
    vim.api.nvim_buf_create_user_command(bufnr, 'FluxtagExplain', function()
      explain(client, vim.lsp.util.make_position_params(0, client.offset_encoding))
    end, { desc = 'fluxtag: explain the marker or ImagePolicy at the cursor' })
  end,
}
