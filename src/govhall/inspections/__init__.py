"""Post-licence supervision (证后监管): inspection plans, 双随机一公开 draws, results and guidance notices."""
