"""Django format modules of the platform (``FORMAT_MODULE_PATH``): where a language's date
and time formats differ from Django's own. Read through ``alize.formats``, which says which
style each context uses."""
