;;; fluxtag.el --- fluxtag language server for Emacs 29+ (eglot)  -*- lexical-binding: t; -*-

;; Diagnostics (Flymake), hovers (ElDoc), quick fixes (`eglot-code-actions'), completion,
;; `xref-find-definitions', references and inlay hints for Flux `$imagepolicy' markers.
;;
;; Load it from init.el, e.g. (load "/path/to/editors/emacs/fluxtag.el"), then run M-x eglot in
;; a YAML buffer, or add (add-hook 'yaml-ts-mode-hook #'eglot-ensure).  Eglot runs one server
;; per buffer: this one replaces yaml-language-server for YAML buffers.  Settings go in
;; `eglot-workspace-configuration', e.g. in .dir-locals.el:
;;
;;   ((nil . ((eglot-workspace-configuration
;;             . (:fluxtag (:tagsFrom "tags.json" :severity (:stale "error")))))))
;;
;; Keys: tagsFrom (snapshot file, relative to the root), offline (cache only), cacheDir,
;; severity (code -> "error" | "warning" | "info" | "hint" | "off").

(with-eval-after-load 'eglot
  (add-to-list 'eglot-server-programs
               '((yaml-ts-mode yaml-mode) . ("fluxtag" "lsp"))))

;;; fluxtag.el ends here
