-- Driven by tests/lsp/nvim.rs in a headless Neovim (-u NONE -i NONE): opens a stale marker's
-- file with editors/nvim/lsp/fluxtag.lua and checks diagnostics, hover, :FluxtagExplain, the
-- "Explain" code lens and the quick fix.
-- Writes "ok" or the failure to $FLUXTAG_TEST_OUT, then quits.
local out = assert(os.getenv('FLUXTAG_TEST_OUT'))
local function finish(message)
  local file = assert(io.open(out, 'w'))
  file:write(message)
  file:close()
  vim.cmd('qall!')
end
local function check(condition, message)
  if not condition then
    finish('FAIL: ' .. message)
    error(message)
  end
end

local ok, err = pcall(function()
  vim.opt.runtimepath:prepend(os.getenv('FLUXTAG_NVIM_DIR'))
  vim.lsp.config('fluxtag', {
    cmd = { os.getenv('FLUXTAG_BIN'), 'lsp' },
    init_options = { tagsFrom = 'tags.json' },
  })
  vim.lsp.enable('fluxtag')
  vim.cmd.edit(os.getenv('FLUXTAG_FILE'))
  vim.bo.filetype = 'yaml'

  local function stale()
    for _, d in ipairs(vim.diagnostic.get(0)) do
      if d.code == 'stale' then
        return d
      end
    end
  end
  check(vim.wait(30000, function() return stale() ~= nil end, 50), 'no stale diagnostic appeared')
  local d = stale()
  check(d.source == 'fluxtag', 'diagnostic source is ' .. tostring(d.source))
  check(d.severity == vim.diagnostic.severity.WARN, 'stale is not a warning')
  local client = vim.lsp.get_clients({ bufnr = 0, name = 'fluxtag' })[1]
  check(client ~= nil, 'no fluxtag client')
  check(client.offset_encoding == 'utf-8', 'encoding ' .. tostring(client.offset_encoding))

  -- Hover on the stale value shows the tag Flux would write.
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(0) },
    position = { line = d.lnum, character = d.col },
  }
  local responses = vim.lsp.buf_request_sync(0, 'textDocument/hover', params, 10000) or {}
  local hover = responses[client.id] and responses[client.id].result
  check(hover ~= nil, 'no hover')
  check(hover.contents.value:find('4.0.11', 1, true) ~= nil, 'hover lacks 4.0.11: ' .. hover.contents.value)

  -- Issue 13: :FluxtagExplain on the stale value opens a scratch window with the explanation.
  local window = vim.api.nvim_get_current_win()
  local source = vim.api.nvim_get_current_buf()
  vim.api.nvim_win_set_cursor(0, { d.lnum + 1, d.col })
  vim.cmd('FluxtagExplain')
  local function shown(needle)
    for _, buf in ipairs(vim.api.nvim_list_bufs()) do
      if buf ~= source and vim.api.nvim_buf_is_loaded(buf) then
        local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
        if text:find(needle, 1, true) then
          return buf
        end
      end
    end
  end
  check(vim.wait(10000, function() return shown('Flux writes 4.0.11') ~= nil end, 50),
    ':FluxtagExplain showed no explanation of the marker')
  vim.api.nvim_buf_delete(shown('Flux writes 4.0.11'), { force = true })
  vim.api.nvim_set_current_win(window)

  -- The "Explain" lens of an ImagePolicy runs the config's client-side command.
  local policies = vim.uri_from_fname(vim.fn.fnamemodify(
    'kubernetes/apps/flux-system/image-automation/app/image-policies.yaml', ':p'))
  local policies_buf = vim.uri_to_bufnr(policies)
  vim.fn.bufload(policies_buf)
  vim.bo[policies_buf].filetype = 'yaml'
  check(vim.wait(10000, function()
    return #vim.lsp.get_clients({ bufnr = policies_buf, name = 'fluxtag' }) > 0
  end, 50), 'the client did not attach to image-policies.yaml')
  local lenses = vim.lsp.buf_request_sync(policies_buf, 'textDocument/codeLens',
    { textDocument = { uri = policies } }, 10000) or {}
  local lens
  for _, l in ipairs((lenses[client.id] or {}).result or {}) do
    if l.command.title == 'Explain flux-system/sonarr' then
      lens = l
    end
  end
  check(lens ~= nil, 'no Explain lens for flux-system/sonarr')
  client:exec_cmd(lens.command, { bufnr = policies_buf })
  check(vim.wait(10000, function()
    return shown('selected    4.0.11  (decided by: ranking)') ~= nil
  end, 50), 'the Explain lens showed no explanation of the policy')
  vim.api.nvim_buf_delete(shown('selected    4.0.11  (decided by: ranking)'), { force = true })
  vim.api.nvim_set_current_win(window)
  vim.api.nvim_set_current_buf(source)

  -- The preferred quick fix rewrites the buffer.
  vim.api.nvim_win_set_cursor(0, { d.lnum + 1, d.col })
  vim.lsp.buf.code_action({
    apply = true,
    filter = function(action) return action.isPreferred end,
  })
  local line = d.lnum + 1
  check(vim.wait(10000, function()
    return vim.fn.getline(line):find('tag: 4.0.11', 1, true) ~= nil
  end, 50), 'the quick fix did not rewrite the line: ' .. vim.fn.getline(line))
  check(vim.wait(10000, function() return stale() == nil end, 50), 'the stale diagnostic stayed')
  finish('ok')
end)
if not ok then
  finish('FAIL: ' .. tostring(err))
end
