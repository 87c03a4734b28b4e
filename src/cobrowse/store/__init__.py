"""cobrowse.store"""
