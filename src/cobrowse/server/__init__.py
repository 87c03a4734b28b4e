"""cobrowse.server"""
