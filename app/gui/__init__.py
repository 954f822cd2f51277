"""The Convas editor: PySide6 + NodeGraphQt views adapting the Qt-free core."""
