import { render } from 'preact';
import { MetricsPage } from '../../src/popup/metrics/MetricsPage';
import '../../src/popup/style.css';
import '../../src/popup/metrics/metrics.css';

render(<MetricsPage />, document.getElementById('app')!);
