import { render } from 'preact';
import { App } from '../../src/popup/App';
import '../../src/popup/style.css';

render(<App />, document.getElementById('app')!);
