"""Presents: the Gradio app (app, with chat_tab and library_tab over one live index) and the
`newsqa` command line (cli), both over qa/ and index/."""
