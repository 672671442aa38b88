"""Reading and writing networks: GeoJSON, GraphML, GeoDataFrames."""
