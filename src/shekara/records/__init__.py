"""Generic machinery every shared-record resource uses: sharing fields, pages, CRUD, search."""
